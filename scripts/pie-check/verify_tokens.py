"""Checks a `pnpm pie-check --real-model` run against Hugging Face transformers on the same weights.

Usage (by scripts/pie-check/main.ts, in the check's venv, after the engine stopped):
    python verify_tokens.py MODEL_DIR RUN.json
RUN.json (run_inferlets.py): {"pass_log": PATH, "inferlets": [{"name", "args", "group", "ok", "return_value",
"passes": [FIRST, END]}]}, where `passes` are the lines of the pass log (pass_log.py) written while the
inferlet ran, with the others of its group if it has one.

Two checks, each by teacher forcing (one transformers forward pass over a whole sequence gives the logits
after each of its prefixes):
- Every output of every forward pass Pie ran (any inferlet): the pass log's page tables are replayed to find
  the sequence each input attended to. It must be a plain causal sequence (positions 0, 1, … in cache
  order, each entry computed from the entries before it), and the token Pie drew must be one the sampler
  allows under transformers' logits for that sequence; a distribution must be transformers' top-k.
- The probe's records (test/fixtures/pie-probe): the token ids the library says a context holds must give
  its generated tokens, and the distributions `predict` returned, under transformers.
Exit code 1 on any mismatch, or when a probe scenario checked nothing.
"""

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import torch

GREEDY_BELOW = 1e-5  # Pie's `safe_scaled_softmax` samples greedily under this temperature
# Pie's and transformers' logits differ by ~2e-5 (float32, other summation orders): a token within
# LOGIT_TIE of the best counts as a tie, and probabilities may differ by PROBABILITY_TOLERANCE.
LOGIT_TIE = 1e-3
PROBABILITY_TOLERANCE = 1e-4
SAMPLERS = {0: "distribution", 1: "multinomial", 2: "top-p", 3: "top-k", 4: "min-p", 5: "top-k-top-p"}


@dataclass(frozen=True)
class Sampler:
    """A sampler as Pie's sampling metadata has it (`kind` numbered as in SAMPLERS)."""

    kind: int
    temperature: float
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0

    @staticmethod
    def from_config(config: dict) -> "Sampler":
        """A `sampler-config` of `inferlib:context/inference` as JSON (`{tag, val}`)."""
        tag, val = config["tag"], config.get("val")
        match tag:
            case "greedy":
                return Sampler(1, 0.0)
            case "multinomial":
                return Sampler(1, val)
            case "top-p":
                return Sampler(2, val[0], top_p=val[1])
            case "top-k":
                return Sampler(3, val[0], top_k=val[1])
            case "min-p":
                return Sampler(4, val[0], min_p=val[1])
            case "top-k-top-p":
                return Sampler(5, val[0], top_k=val[1], top_p=val[2])
        raise ValueError(f"verify_tokens: unknown sampler-config tag {tag!r}")


@dataclass
class Check:
    """One thing to check at the end of a sequence: a drawn token or a returned distribution."""

    scenario: str
    source: str  # "passes" (the pass log) or "probe" (the probe's records)
    what: str
    sequence: int  # a key of Sequences; -1 when `problem` says why there is none
    sampler: Sampler | None = None
    token: int | None = None
    ids: list[int] = field(default_factory=list)
    probs: list[float] = field(default_factory=list)
    problem: str | None = None


class Sequences:
    """Token sequences as the nodes of a trie: an equal sequence gets the same key; a key's parent is its prefix."""

    def __init__(self):
        self.key_of: dict[tuple[int, int], int] = {}
        self.parent: list[int] = []
        self.last: list[int] = []

    def extend(self, key: int, token: int) -> int:
        """The key of sequence `key` (-1: the empty one) followed by `token`."""
        found = self.key_of.get((key, token))
        if found is None:
            found = self.key_of[(key, token)] = len(self.parent)
            self.parent.append(key)
            self.last.append(token)
        return found

    def of(self, tokens) -> int:
        key = -1
        for token in tokens:
            key = self.extend(key, token)
        return key

    def tokens(self, key: int) -> list[int]:
        tokens = []
        while key >= 0:
            tokens.append(self.last[key])
            key = self.parent[key]
        return tokens[::-1]


def _inputs(batch: dict):
    """Each input of a logged batch: its request, its cache entry and that entry's `(page, slot)`, how many
    entries its cache holds, and the `(entry, (page, slot))` it attends to: those its mask lets it see, or, in
    a batch Pie ran as decode (every request one input), its whole cache without a mask."""
    page_size, qo, indptr = batch["page_size"], batch["qo_indptr"], batch["kv_page_indptr"]
    for request in range(len(qo) - 1):
        pages = batch["kv_page_indices"][indptr[request] : indptr[request + 1]]
        length = (len(pages) - 1) * page_size + batch["kv_last_page_lens"][request]
        slot = lambda entry: (pages[entry // page_size], entry % page_size)  # noqa: E731
        for index in range(qo[request], qo[request + 1]):
            own = length - qo[request + 1] + index
            seen = range(length) if batch["single_token"] else [e for a, b in batch["attend"][index] for e in range(a, b)]
            yield request, own, slot(own), length, [(entry, slot(entry)) for entry in seen]


def replay(passes: list[dict], sequences: Sequences):
    """The outputs of the logged passes, in order: `(line, output, sequence key, problem)`, and
    `(line, None, -1, problem)` for an input without output whose sequence is not plain.

    Follows each cache entry through the page tables: an entry is written with the token and position of its
    input and the sequence that input attended to. In each layer Pie appends the keys and values of every
    input of a batch before any input attends, so an input may see an entry another request of its batch
    writes (a context's prefill batched with its first decode step, which it submitted without waiting).
    """
    entries: dict[tuple[int, int], tuple[int, int, int, str | None]] = {}  # slot -> token, position, key, problem
    for line, batch in enumerate(passes):
        inputs = list(_inputs(batch))
        writer: dict[tuple[int, int], int] = {}
        clashes: dict[int, int] = {}
        for index, (_, _, slot, _, _) in enumerate(inputs):
            if slot in writer:
                clashes[index] = writer[slot]
            else:
                writer[slot] = index
        keys: dict[int, tuple[int, str | None]] = {}

        def resolve(index: int) -> tuple[int, str | None]:
            if index in keys:
                return keys[index]
            request, own, _, length, seen = inputs[index]
            keys[index] = (-1, "depends on itself")  # only a cycle of reads within the batch finds this
            key, problem = -1, None
            for depth, (entry, slot) in enumerate(seen):
                if entry == own:
                    token, position, entry_key, entry_problem = batch["tokens"][index], batch["positions"][index], None, None
                elif slot in writer:
                    entry_key, entry_problem = resolve(writer[slot])
                    token, position = batch["tokens"][writer[slot]], batch["positions"][writer[slot]]
                elif slot in entries:
                    token, position, entry_key, entry_problem = entries[slot]
                else:
                    problem = f"sees entry {entry} (page {slot[0]}, slot {slot[1]}), never written"
                    break
                if entry_problem is not None:
                    problem = f"sees entry {entry}, written from a sequence that was not plain: {entry_problem}"
                    break
                if position != depth:
                    problem = f"sees entry {entry} at position {position} as token {depth} of its sequence"
                    break
                key = sequences.extend(key, token)
                if entry != own and entry_key != key:
                    problem = f"sees entry {entry}, which was computed from another sequence than the one before it here"
                    break
            if problem is None and (not seen or seen[-1][0] != own):
                problem = f"does not see itself (entry {own}) last"
            one_input = batch["qo_indptr"][request + 1] - batch["qo_indptr"][request] == 1
            # Pie ignores such a mask whenever the batch holds one-input requests only (see _inputs).
            if problem is None and one_input and batch["attend"][index] != [[0, length]]:
                problem = f"is a one-input request whose mask {batch['attend'][index]} hides entries"
            where = f"pass {line}, input {index - batch['qo_indptr'][request]} of request {request} (entry {own})"
            keys[index] = (key, None if problem is None else f"{where} {problem}")
            return keys[index]

        for index in range(len(inputs)):
            resolve(index)
        # Two inputs may write one slot when both compute the same entry (a context recomputing its last token
        # in a step batched with the prefill that computed it); different entries in one slot are a problem.
        for index, other in clashes.items():
            if keys[index][1] is None and (keys[other][1] is not None or keys[index][0] != keys[other][0]):
                keys[index] = (-1, f"pass {line}: input {index} writes the slot input {other} of the same batch writes, another entry")
        for slot, index in writer.items():
            entries[slot] = (batch["tokens"][index], batch["positions"][index], *keys[index])
        with_output = {output["input"] for output in batch["outputs"]}
        for output in batch["outputs"]:
            yield line, output, *keys[output["input"]]
        for index, (_, problem) in keys.items():
            if problem is not None and index not in with_output:
                yield line, None, -1, problem


def allowed(logits: torch.Tensor, sampler: Sampler, token: int) -> str | None:
    """None when `sampler` could draw `token` from `logits`; otherwise why not."""
    if sampler.temperature < GREEDY_BELOW:
        best = float(logits.max())
        if float(logits[token]) < best - LOGIT_TIE:
            return f"greedy drew {token} (logit {float(logits[token]):.4f}), the best is {int(logits.argmax())} ({best:.4f})"
        return None
    probs = torch.softmax(logits.double() / sampler.temperature, dim=-1)
    p = float(probs[token])
    more_likely = probs > p + PROBABILITY_TOLERANCE
    rank, mass_before = int(more_likely.sum()), float(probs[more_likely].sum())
    name = SAMPLERS[sampler.kind]
    if sampler.kind in (3, 5) and rank >= sampler.top_k:
        return f"{name} drew {token}, ranked {rank + 1}, outside the top {sampler.top_k}"
    if sampler.kind == 5:
        top_k_mass = float(probs.topk(sampler.top_k).values.sum())
        mass_before /= top_k_mass
    if sampler.kind in (2, 5) and mass_before >= sampler.top_p + PROBABILITY_TOLERANCE:
        return f"{name} drew {token}, after likelier tokens holding {mass_before:.4f} ≥ top-p {sampler.top_p}"
    if sampler.kind == 4 and p < sampler.min_p * float(probs.max()) - PROBABILITY_TOLERANCE:
        return f"min-p drew {token} of probability {p:.4g}, below {sampler.min_p} × {float(probs.max()):.4g}"
    return None


def distribution_error(logits: torch.Tensor, temperature: float, top_k: int, ids: list[int], probs: list[float]):
    """`(why not, largest probability difference)`: why not None when (ids, probs) is not the top-k of `logits`."""
    expected = torch.softmax(logits.double() / max(temperature, GREEDY_BELOW), dim=-1)
    if len(ids) != min(top_k, len(expected)):
        return f"{len(ids)} tokens, expected {min(top_k, len(expected))}", 0.0
    differences = [abs(p - float(expected[i])) for i, p in zip(ids, probs)]
    largest = max(differences, default=0.0)
    kth = float(expected.topk(top_k).values[-1])
    for i, p, difference in zip(ids, probs, differences):
        if difference > PROBABILITY_TOLERANCE + 1e-3 * float(expected[i]):
            return f"token {i}: probability {p:.6g}, transformers {float(expected[i]):.6g}", largest
        if float(expected[i]) < kth - PROBABILITY_TOLERANCE:
            return f"token {i} ({float(expected[i]):.6g}) is not among the top {top_k} (the last: {kth:.6g})", largest
    return None, largest


def probe_checks(scenario: str, records: list[dict], sequences: Sequences) -> list[Check]:
    checks = []
    for record in records:
        tokens = record["tokens"]
        if record["kind"] == "generated":
            sampler = Sampler.from_config(record["sampler"])
            for i in range(record["from"], len(tokens)):
                what = f"{record['label']}: token {i - record['from']} ({tokens[i]})"
                checks.append(Check(scenario, "probe", what, sequences.of(tokens[:i]), sampler=sampler, token=tokens[i]))
        else:
            sampler = Sampler(0, record["temperature"], top_k=record["topK"])
            what = f"{record['label']}: predict after {len(tokens)} tokens"
            checks.append(Check(scenario, "probe", what, sequences.of(tokens), sampler, ids=record["ids"], probs=record["probs"]))
    return checks


def engine_checks(passes: list[dict], scenario_of_line, sequences: Sequences) -> list[Check]:
    checks = []
    for line, output, key, problem in replay(passes, sequences):
        if output is None:
            checks.append(Check(scenario_of_line(line), "passes", "an input", -1, problem=problem))
            continue
        sampler = Sampler(output["type"], output["temperature"], output["top_k"], output["top_p"], output["min_p"])
        kind = "greedy" if 0 < sampler.kind and sampler.temperature < GREEDY_BELOW else SAMPLERS[sampler.kind]
        what = f"pass {line}, {kind} at input {output['input']}"
        checks.append(
            Check(scenario_of_line(line), "passes", what, key, sampler, output.get("token"), output.get("ids", []), output.get("probs", []), problem)
        )
    return checks


@dataclass
class Tally:
    """What was checked of one scenario: tokens and distributions, from the pass log and from the probe."""

    counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    mismatches: list[str] = field(default_factory=list)


def evaluate(checks: list[Check], sequences: Sequences, logits_of) -> tuple[dict[str, Tally], dict[str, float]]:
    """Runs every check; `logits_of(tokens)` gives the logits after each prefix of a sequence, `[len, vocab]`.

    Each sequence is run once: a sequence that is the prefix of another one checked is read from the longer one.
    """
    tallies: dict[str, Tally] = defaultdict(Tally)
    figures = {"largest probability difference": 0.0, "smallest greedy margin": float("inf"), "greedy ties": 0}
    by_key: dict[int, list[Check]] = defaultdict(list)
    for check in checks:
        if check.problem is not None:
            tallies[check.scenario].mismatches.append(f"{check.what}: {check.problem}")
        else:
            by_key[check.sequence].append(check)
    has_longer = set()
    for key in by_key:
        parent = sequences.parent[key]
        while parent >= 0 and parent not in has_longer:
            has_longer.add(parent)
            parent = sequences.parent[parent]
    for longest in [key for key in by_key if key not in has_longer]:
        tokens = sequences.tokens(longest)
        logits = logits_of(tokens)
        key = -1
        for depth, token in enumerate(tokens):
            key = sequences.extend(key, token)
            for check in by_key.pop(key, []):
                row, tally = logits[depth], tallies[check.scenario]
                if check.sampler.kind == 0:
                    tally.counts[check.source, "distributions"] += 1
                    error, largest = distribution_error(row, check.sampler.temperature, check.sampler.top_k, check.ids, check.probs)
                    figures["largest probability difference"] = max(figures["largest probability difference"], largest)
                else:
                    tally.counts[check.source, "tokens"] += 1
                    error = allowed(row, check.sampler, check.token)
                    if check.sampler.temperature < GREEDY_BELOW:
                        top2 = row.topk(2).values
                        margin = float(top2[0] - top2[1])
                        figures["smallest greedy margin"] = min(figures["smallest greedy margin"], margin)
                        figures["greedy ties"] += int(error is None and int(row.argmax()) != check.token)
                if error is not None:
                    tally.mismatches.append(f"{check.what}: {error}")
    return tallies, figures


def main() -> int:
    model_dir, run_file = sys.argv[1], Path(sys.argv[2])
    run = json.loads(run_file.read_text())
    passes = [json.loads(line) for line in Path(run["pass_log"]).read_text().splitlines()]
    sequences = Sequences()
    checks: list[Check] = []
    # The table's rows in run order: one per inferlet run alone, one per group of inferlets run together
    # (their passes are batched together, so they are checked as one), one per probe run's records.
    rows: list[str] = []
    lines_of: dict[str, range] = {}
    probe_rows = set()
    for inferlet in run["inferlets"]:
        is_probe = inferlet["name"].startswith("pie-probe")
        name = " ".join([inferlet["name"], *inferlet["args"]]) if is_probe else inferlet["name"]
        group = inferlet.get("group")
        passes_row = name if group is None else f"group {group}"
        lines_of[passes_row] = range(*inferlet["passes"])
        rows += [passes_row] if passes_row not in rows else []
        if is_probe:
            probe_row = name if group is None else f"{name} (in group {group})"
            rows += [probe_row] if probe_row not in rows else []
            probe_rows.add(probe_row)
            if inferlet["ok"]:
                checks += probe_checks(probe_row, json.loads(inferlet["return_value"])["records"], sequences)

    def scenario_of_line(line: int) -> str:
        return next((row for row, lines in lines_of.items() if line in lines), "between runs")

    checks += engine_checks(passes, scenario_of_line, sequences)

    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.eval()

    def logits_of(tokens: list[int]) -> torch.Tensor:
        with torch.no_grad():
            return model(torch.tensor([tokens])).logits[0]

    tallies, figures = evaluate(checks, sequences, logits_of)
    columns = [(source, kind) for source in ("passes", "probe") for kind in ("tokens", "distributions")]
    print(
        f"pie-check: {len(passes)} forward passes replayed. Per run: its passes (those batching several requests), "
        "then what was checked from the passes | from the probe's records"
    )
    print(f"  {'':8}  {'passes':>12}  {'tokens':>6} {'dists':>5} | {'tokens':>6} {'dists':>5}")
    failed = False
    for row in rows + sorted(tallies.keys() - set(rows)):
        tally, lines = tallies[row], lines_of.get(row, range(0))
        empty = row in probe_rows and tally.counts["probe", "tokens"] + tally.counts["probe", "distributions"] == 0
        failed |= bool(tally.mismatches) or empty
        status = "MISMATCH" if tally.mismatches else ("NOTHING" if empty else "ok")
        batched = sum(len(passes[line]["qo_indptr"]) > 2 for line in lines)
        counts = " ".join(f"{tally.counts[column]:{width}}" for column, width in zip(columns, (6, 5, 6, 5)))
        shown_passes = f"{len(lines)} ({batched})" if lines else ""
        print(f"  {status:8}  {shown_passes:>12}  {counts[:12]} | {counts[13:]}  {row}")
        for mismatch in tally.mismatches[:5]:
            print(f"            {mismatch}")
        if len(tally.mismatches) > 5:
            print(f"            … {len(tally.mismatches) - 5} more")
    totals = [sum(t.counts[column] for t in tallies.values()) for column in columns]
    mismatches = sum(len(t.mismatches) for t in tallies.values())
    print(
        f"pie-check: {totals[0]} tokens and {totals[1]} distributions of the passes, {totals[2]} tokens and "
        f"{totals[3]} distributions of the probe checked; {mismatches} mismatches. Largest probability difference "
        f"{figures['largest probability difference']:.2g}, smallest greedy top-1/top-2 margin "
        f"{figures['smallest greedy margin']:.3g}, {figures['greedy ties']} greedy ties"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
