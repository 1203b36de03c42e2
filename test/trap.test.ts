import { describe, expect, it } from 'vitest';
import { runScript } from './helpers/child.ts';

describe('a trapped component', () => {
  it('does not take Node down when jco later drops the resources it left behind', async () => {
    const { stdout } = await runScript('trap-then-collect.ts', [], ['--expose-gc']);
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({ trapped: true, held: 0 });
  });

  it('prints its message: get-auto with no model, from-model-name with an unknown model', async () => {
    const noModels = await runScript('trap-message.ts', ['no-models']);
    expect(noModels.stdout).toBe('trapped: RuntimeError\n');
    expect(noModels.stderr).toContain('inferlib:model/models.model.get-auto: the runtime serves no model');
    const unknown = await runScript('trap-message.ts', ['unknown-model']);
    expect(unknown.stdout).toBe('trapped: RuntimeError\n');
    expect(unknown.stderr).toContain(
      'inferlib:queue/queues.queue.from-model-name: the runtime serves no model named "gpt-17"',
    );
  });
});
