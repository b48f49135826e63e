// Every command of `sigsum` and `sigsum-log` (found by walking the "Commands:"
// lists of --help, so a new command is covered without touching this test)
// ends its --help with an example that uses that command.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const clis = {
  sigsum: fileURLToPath(new URL('../sdk/dist/cli/main.js', import.meta.url)),
  'sigsum-log': fileURLToPath(new URL('../reference-log/dist/cli/main.js', import.meta.url)),
};

/** The subcommand names listed under "Commands:" in a help text (commander's built-in `help` excluded). */
function subcommands(help: string): string[] {
  const section = /\nCommands:\n([\s\S]*?)(\n\n|$)/.exec(help);
  if (section === null) return [];
  return section[1]!
    .split('\n')
    .map((l) => /^ {2}([a-z][a-z0-9-]*)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n !== 'help');
}

async function helpTexts(bin: keyof typeof clis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const visit = async (path: string[]): Promise<void> => {
    const { stdout } = await run(process.execPath, [clis[bin], ...path, '--help']);
    out.set([bin, ...path].join(' '), stdout);
    await Promise.all(subcommands(stdout).map((c) => visit([...path, c])));
  };
  await visit([]);
  return out;
}

describe('--help of every command has an example', () => {
  for (const bin of Object.keys(clis) as (keyof typeof clis)[]) {
    it(`${bin}: every command ends its help with "Example:" and a command line using it`, async () => {
      const texts = await helpTexts(bin);
      expect(texts.size).toBeGreaterThan(bin === 'sigsum' ? 15 : 5);
      for (const [command, text] of texts) {
        const example = /\nExample:\n {2}(.+)\n?$/.exec(text);
        expect(example, `${command} --help has no example`).not.toBeNull();
        expect(example![1], command).toContain(command.split(' ').slice(0, 2).join(' '));
      }
    }, 180_000);
  }
});
