/**
 * One example per `sigsum-log` command, shown at the end of its `--help`
 * (a test checks that every command has one).
 */
import type { Command } from 'commander';

const EXAMPLES: Record<string, string> = {
  '': 'sigsum-log init --dir /var/lib/sigsum-log && sigsum-log primary -c /var/lib/sigsum-log/config.json',
  init: 'sigsum-log init --dir /var/lib/sigsum-log     # log.key (0600), log.key.pub, config.json, data/',
  primary: 'sigsum-log primary -c /var/lib/sigsum-log/config.json --published-tree-head https://log.example.org/',
  status: 'sigsum-log status -c /var/lib/sigsum-log/config.json',
  witness: 'sigsum-log witness -k witness.key --state-db state.sqlite --log-key log.key.pub --listen 127.0.0.1:5001',
  secondary: 'sigsum-log secondary -c /var/lib/sigsum-log-secondary/config.json',
  check: 'sigsum-log check -c /var/lib/sigsum-log/config.json     # or --database backup.sqlite',
  backup: 'sigsum-log backup -c /var/lib/sigsum-log/config.json /backups/log-$(date +%F).sqlite',
  tiles: 'sigsum-log tiles -c /var/lib/sigsum-log/config.json --out /srv/sigsum-tiles --follow',
  'witness-info': 'sigsum-log witness-info -c /var/lib/sigsum-log/config.json',
  promote: 'sigsum-log promote -c /var/lib/sigsum-log-secondary/config.json --log-key log.key --tree-head https://log.example.org/',
};

/** Append the example of every command of `program` that has one to its help. */
export function addHelpExamples(program: Command): void {
  const visit = (cmd: Command, path: string) => {
    const example = EXAMPLES[path];
    if (example !== undefined) cmd.addHelpText('after', `\nExample:\n  ${example}`);
    for (const c of cmd.commands) visit(c, path === '' ? c.name() : `${path} ${c.name()}`);
  };
  visit(program, '');
}
