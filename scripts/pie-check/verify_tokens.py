"""Checks a `pnpm pie-check --real-model` run against Hugging Face transformers on the same weights.

Usage (by scripts/pie-check/main.ts, in the check's venv, after the engine stopped):
    python verify_tokens.py MODEL_DIR RUN.json
RUN.json (run_inferlets.py): {"pass_log": PATH, "inferlets": [{"name", "args", "ok", "return_value",
"passes": [FIRST, END]}]}, where `passes` are the lines of the pass log (pass_log.py) its group of
concurrently run inferlets produced.

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


def replay(passes: list[dict], sequences: Sequences):
    """The outputs of the logged passes, in order: `(line, output, sequence key, problem)`.

    Follows each cache entry through the page tables: an entry is written with the token and position of its
    input and the sequence that input attended to. An input attends to the entries its mask lets it see,
    or, in a batch Pie ran as decode (every request one input), to its whole cache, without a mask.
    """
    entries: dict[tuple[int, int], tuple[int, int, int, str | None]] = {}  # slot -> token, position, key, problem
    for line, batch in enumerate(passes):
        page_size, qo, indptr = batch["page_size"], batch["qo_indptr"], batch["kv_page_indptr"]
        written: dict[tuple[int, int], tuple[int, int, int, str | None]] = {}
        writer: dict[tuple[int, int], int] = {}
        keys: dict[int, tuple[int, str | None]] = {}
        for request in range(len(qo) - 1):
            pages = batch["kv_page_indices"][indptr[request] : indptr[request + 1]]
            length = (len(pages) - 1) * page_size + batch["kv_last_page_lens"][request]
            first = length - (qo[request + 1] - qo[request])
            slot = lambda entry: (pages[entry // page_size], entry % page_size)  # noqa: E731
            for index in range(qo[request], qo[request + 1]):
                own = first + index - qo[request]
                visible = range(length) if batch["single_token"] else [e for a, b in batch["attend"][index] for e in range(a, b)]
                key, problem = -1, None
                for depth, entry in enumerate(visible):
                    if entry == own:
                        token, position, entry_key, entry_problem = batch["tokens"][index], batch["positions"][index], None, None
                    elif slot(entry) in written:
                        if writer[slot(entry)] != request:
                            problem = f"sees entry {entry}, which another request writes in the same pass"
                            break
                        token, position, entry_key, entry_problem = written[slot(entry)]
                    elif slot(entry) in entries:
                        token, position, entry_key, entry_problem = entries[slot(entry)]
                    else:
                        problem = f"sees entry {entry} (page {slot(entry)[0]}, slot {slot(entry)[1]}), never written"
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
                if problem is None and (not visible or visible[-1] != own):
                    problem = f"does not see itself (entry {own}) last"
                # Pie ignores such a mask whenever the batch holds one-input requests only (see above).
                if problem is None and qo[request + 1] - qo[request] == 1 and batch["attend"][index] != [[0, length]]:
                    problem = f"is a one-input request whose mask {batch['attend'][index]} hides entries"
                where = f"pass {line}, input {index - qo[request]} of request {request} (entry {own})"
                keys[index] = (key, None if problem is None else f"{where} {problem}")
                written[slot(own)] = (batch["tokens"][index], batch["positions"][index], *keys[index])
                writer[slot(own)] = request
        entries.update(written)
        for output in batch["outputs"]:
            key, problem = keys[output["input"]]
            yield line, output, key, problem
        for index, (_, problem) in keys.items():
            if problem is not None and index not in {o["input"] for o in batch["outputs"]}:
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
            k = record["topK"] if record["topK"] is not None else len(record["ids"])
            sampler = Sampler(0, record["temperature"], top_k=k)
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
    checks, probes = [], []
    owners: list[tuple[int, int, str]] = []
    for inferlet in run["inferlets"]:
        scenario = " ".join([inferlet["name"], *inferlet["args"]]) if inferlet["name"].startswith("pie-probe") else inferlet["name"]
        first, end = inferlet["passes"]
        owners.append((first, end, scenario))
        if inferlet["name"].startswith("pie-probe"):
            probes.append(scenario)
            if inferlet["ok"]:
                checks += probe_checks(scenario, json.loads(inferlet["return_value"])["records"], sequences)
    # Inferlets run together share their passes: the group is named by all of them.
    def scenario_of_line(line: int) -> str:
        names = [name for first, end, name in owners if first <= line < end]
        return names[0] if len(names) == 1 else f"together: {', '.join(names)}"

    checks += engine_checks(passes, scenario_of_line, sequences)

    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.eval()

    def logits_of(tokens: list[int]) -> torch.Tensor:
        with torch.no_grad():
            return model(torch.tensor([tokens])).logits[0]

    tallies, figures = evaluate(checks, sequences, logits_of)
    columns = [(source, kind) for source in ("passes", "probe") for kind in ("tokens", "distributions")]
    print(f"pie-check: {len(passes)} forward passes replayed. Checked per scenario, from the passes | the probe's records:")
    print(f"  {'':8}  {'tokens':>6} {'dists':>5} | {'tokens':>6} {'dists':>5}")
    failed = False
    for scenario in sorted(tallies.keys() | set(probes)):
        tally = tallies[scenario]
        empty = scenario in probes and tally.counts["probe", "tokens"] + tally.counts["probe", "distributions"] == 0
        failed |= bool(tally.mismatches) or empty
        status = "MISMATCH" if tally.mismatches else ("NOTHING" if empty else "ok")
        counts = [tally.counts[column] for column in columns]
        print(f"  {status:8}  {counts[0]:6} {counts[1]:5} | {counts[2]:6} {counts[3]:5}  {scenario}")
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
