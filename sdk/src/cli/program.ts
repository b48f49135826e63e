/**
 * The `sigsum` command: one program whose subcommands follow sigsum-go's
 * tools (`sigsum-key`, `sigsum-submit`, `sigsum-verify`, `sigsum-token`,
 * `sigsum-monitor`, `sigsum-policy`) flag for flag. GNU-style options via
 * commander: `-kFILE`, `-k FILE`, `--key=FILE`, `--key FILE`, `--` ends options.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { CliError, EXIT, describeError } from './util.js';
import { addHelpExamples } from './examples.js';

/**
 * Each subcommand's module, imported only when that subcommand runs (or for
 * the top-level help): an offline `sigsum verify` never loads the HTTP client,
 * and start-up stays close to a bare `node`.
 */
const SUBCOMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  key: async () => (await import('./key.js')).addKeyCommands,
  submit: async () => (await import('./submit.js')).addSubmitCommand,
  verify: async () => (await import('./verify.js')).addVerifyCommand,
  token: async () => (await import('./token.js')).addTokenCommands,
  policy: async () => (await import('./policy.js')).addPolicyCommands,
  monitor: async () => (await import('./monitor.js')).addMonitorCommand,
};

// Set by scripts/bundle-cli.mjs: the bundled command has its version inlined
// rather than reading package.json at every start.
declare const SIGSUM_BUNDLED_VERSION: string | undefined;

/** The package version, shown by `--version`. */
export const VERSION: string =
  typeof SIGSUM_BUNDLED_VERSION === 'string' ? SIGSUM_BUNDLED_VERSION : (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Apply the settings every (sub)command shares: exit handling, version, help. */
export function configure(cmd: Command): Command {
  cmd.exitOverride().showHelpAfterError('(run with --help for usage)').helpOption('-h, --help', 'show usage message and exit');
  return cmd;
}

/**
 * Build the command tree (exported for the docs generator and tests).
 * @param only - register just this subcommand (the one about to run); every subcommand when absent or unknown.
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = configure(new Command('sigsum'))
    .description('Sigsum tools: keys, submit, verify, submit tokens, monitor, policies (sigsum-go compatible)')
    .version(VERSION, '-v, --version', 'show program version and exit')
    .enablePositionalOptions() // options after a subcommand belong to it (from-vkey -v is --verbose)
    .addHelpText(
      'after',
      `
Exit status: 0 success; 1 failure (invalid signature or proof, log errors, bad input); 2 usage error.
Environment: SSH_AUTH_SOCK (ssh-agent for keys given as public key files),
             SIGSUM_POLICY_DIR (installed named policies, default /etc/sigsum/policy),
             SIGSUM_DNS_RESOLVER (resolver for token verify -d, ip[:port]).`,
    );
  program
    .command('version')
    .description('show program version and exit')
    .action(() => {
      process.stdout.write(`sigsum (sigsum-kit) ${VERSION}\n`);
    });
  const names = only !== undefined && Object.hasOwn(SUBCOMMANDS, only) ? [only] : Object.keys(SUBCOMMANDS);
  for (const add of await Promise.all(names.map((n) => SUBCOMMANDS[n]!()))) add(program);
  for (const c of program.commands) {
    configure(c);
    for (const s of c.commands) configure(s);
  }
  addHelpExamples(program);
  return program;
}

/** Run the command line `argv` (without node and script); resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  // Options come after the subcommand name, so the first word names it (`sigsum verify -k …`).
  const program = await buildProgram(argv[0]);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.OK;
      // Help shown because a subcommand is missing (`sigsum key`) is a usage error.
      if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      // commander already printed its message.
      return EXIT.USAGE;
    }
    if (e instanceof CliError) {
      if (e.message !== '') process.stderr.write(`sigsum: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`sigsum: ${describeError(e)}\n`);
    return EXIT.FAILURE;
  }
}
