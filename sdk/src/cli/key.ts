/** `sigsum key …`: sigsum-go's `sigsum-key` (generate, convert, sign, verify). */
import type { Command } from 'commander';
import { toHex } from '../encoding/hex.js';
import { concatBytes, utf8 } from '../encoding/bytes.js';
import { keyHash } from '../crypto/keyhash.js';
import { verify } from '../crypto/ed25519.js';
import { formatOpenSshPublicKey, parseHexKey, parseOpenSshPublicKey, DEFAULT_KEY_COMMENT } from '../keys/openssh.js';
import { generateKeyFiles, loadSigner, readPublicKeyFile } from '../keys/node/keyfiles.js';
import { readTextFileSync } from '../keys/node/files.js';
import { CliError, readStdin, writeOutput } from './util.js';
import { readHexFile } from './common.js';
import { addVkeyCommands } from './vkey.js';

/** Input text from `-k FILE` or standard input (bounded). */
export async function readInput(file: string | undefined): Promise<string> {
  if (file !== undefined && file !== '-') return readTextFileSync(file);
  const b = await readStdin(1 << 20);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new CliError('standard input is not valid UTF-8');
  }
}

/** The message as signed by `sign`/`verify`: `namespace || 0x00 || data` when a namespace is given. */
function namespaced(namespace: string | undefined, data: Uint8Array): Uint8Array {
  return namespace === undefined || namespace === '' ? data : concatBytes(utf8(namespace), new Uint8Array([0]), data);
}

/** Register `sigsum key` and its subcommands. */
export function addKeyCommands(program: Command): void {
  const key = program.command('key').description('generate keys, convert key formats, sign and verify (sigsum-key)');

  key
    .command('generate')
    .alias('gen')
    .description('generate a new Ed25519 key pair: FILE (private, mode 0600) and FILE.pub')
    .requiredOption('-o, --output <key-file>', 'file to store the private key in; the public key goes to <key-file>.pub')
    .action(async (o: { output: string }) => {
      await generateKeyFiles(o.output);
    });

  const convert = (name: string, desc: string, inHelp: string, outHelp: string, fn: (text: string) => string): void => {
    key
      .command(name)
      .description(desc)
      .option('-k, --key <key-file>', `${inHelp} (default: standard input)`)
      .option('-o, --output <output-file>', `${outHelp} (default: standard output)`)
      .action(async (o: { key?: string; output?: string }) => {
        await writeOutput(o.output, fn(await readInput(o.key)));
      });
  };
  convert('to-hex', 'output a public key in hex', 'public key in OpenSSH format', 'public key in hex format', (t) => toHex(parseOpenSshPublicKey(t.trim(), 'key').publicKey) + '\n');
  convert('from-hex', 'output a hex public key in OpenSSH format', 'public key in hex format', 'public key in OpenSSH format', (t) =>
    formatOpenSshPublicKey(parseHexKey(t.trim(), 'key'), { comment: DEFAULT_KEY_COMMENT }),
  );
  convert('to-hash', 'output the key hash (SHA-256 of the raw key) in hex', 'public key in OpenSSH format', 'hashed public key in hex format', (t) =>
    toHex(keyHash(parseOpenSshPublicKey(t.trim(), 'key').publicKey)) + '\n',
  );
  addVkeyCommands(key, readInput);

  key
    .command('sign')
    .description('sign standard input; the signature is written in hex')
    .requiredOption('-k, --signing-key <key-file>', 'private key in OpenSSH format; or a public key whose private part is in ssh-agent')
    .option('-n, --namespace <namespace>', 'signature namespace to ensure domain separation')
    .option('-o, --output <output-file>', 'signature in hex format (default: standard output)')
    .action(async (o: { signingKey: string; namespace?: string; output?: string }) => {
      const signer = await loadSigner(o.signingKey);
      const sig = await signer.sign(namespaced(o.namespace, await readStdin()));
      await writeOutput(o.output, toHex(sig) + '\n');
    });

  key
    .command('verify')
    .description('verify a signature over standard input; exit 0 when valid')
    .requiredOption('-k, --key <key-file>', 'public key in OpenSSH format')
    .requiredOption('-s, --signature <sig-file>', 'signature in hex format')
    .option('-n, --namespace <namespace>', 'signature namespace to ensure domain separation')
    .action(async (o: { key: string; signature: string; namespace?: string }) => {
      const pub = await readPublicKeyFile(o.key);
      const sig = readHexFile(o.signature, 64);
      if (!(await verify(pub.publicKey, namespaced(o.namespace, await readStdin()), sig))) throw new CliError('signature is not valid');
    });
}
