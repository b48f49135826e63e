/** `sigsum key to-vkey|from-vkey`: signed-note verifier keys (sigsum-go `sigsum-key`). */
import type { Command } from 'commander';
import { DEFAULT_KEY_COMMENT, formatOpenSshPublicKey, parseOpenSshPublicKey } from '../keys/openssh.js';
import { formatVkey, parseVkey } from '../note/vkey.js';
import { SIG_TYPE_COSIGNATURE, SIG_TYPE_ED25519, type NoteSignatureType } from '../note/keyid.js';
import { treeHeadOriginOfKey } from '../types/tree-head.js';
import { usageError, writeOutput } from './util.js';

const TYPES: Record<string, NoteSignatureType> = { ed25519: SIG_TYPE_ED25519, 'cosignature/v1': SIG_TYPE_COSIGNATURE };

/** Register the vkey conversions. */
export function addVkeyCommands(key: Command, readInput: (file: string | undefined) => Promise<string>): void {
  key
    .command('to-vkey')
    .description('output a public key as a signed-note verifier key (vkey)')
    .option('-k, --key <key-file>', 'public key in OpenSSH format (default: standard input)')
    .option('-o, --output <output-file>', 'public key in vkey format (default: standard output)')
    .option('-n, --name <key-name>', 'name of the key (default for ed25519: the log origin sigsum.org/v1/tree/<key hash>)')
    .option('-t, --type <type>', 'key type: ed25519 or cosignature/v1', 'ed25519')
    .action(async (o: { key?: string; output?: string; name?: string; type: string }) => {
      const type = TYPES[o.type];
      if (type === undefined) throw usageError(`unknown key type ${JSON.stringify(o.type)}: use ed25519 or cosignature/v1`);
      const pub = parseOpenSshPublicKey((await readInput(o.key)).trim(), 'key').publicKey;
      let name = o.name;
      if (name === undefined || name === '') {
        if (type !== SIG_TYPE_ED25519) throw usageError('key name (-n) is required for cosignature/v1 keys');
        name = treeHeadOriginOfKey(pub);
      }
      await writeOutput(o.output, formatVkey(name, type, pub) + '\n');
    });

  key
    .command('from-vkey')
    .description('output a signed-note verifier key (vkey) in OpenSSH format; the key ID must match')
    .option('-k, --key <key-file>', 'public key in vkey format (default: standard input)')
    .option('-o, --output <output-file>', 'public key in OpenSSH format (default: standard output)')
    .option('-v, --verbose', 'display name and type of the key on standard error')
    .action(async (o: { key?: string; output?: string; verbose?: boolean }) => {
      const v = parseVkey((await readInput(o.key)).trim());
      if (o.verbose === true) {
        const t = v.type === SIG_TYPE_ED25519 ? 'ed25519' : 'cosignature/v1';
        process.stderr.write(`Key name ${JSON.stringify(v.name)}, key type: 0x${v.type.toString(16).padStart(2, '0')} (${t})\n`);
      }
      await writeOutput(o.output, formatOpenSshPublicKey(v.publicKey, { comment: DEFAULT_KEY_COMMENT }));
    });
}
