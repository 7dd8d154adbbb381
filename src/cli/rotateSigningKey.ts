import { loadConfig, ConfigError } from '../config.js';
import { existsSync, readFileSync } from 'node:fs';
import { demoSigningKeyFile, newSigningKey, parsePrivateKey, privateKeyPem, publicJwk } from '../marks/keys.js';

/**
 * npm run rotate-signing-key: prints a new Ed25519 signing key and how to roll it. The current
 * key (SIGNING_KEY, when set here) moves to SIGNING_KEYS_RETIRED so its marks keep verifying.
 */
async function main(): Promise<void> {
  const key = newSigningKey();
  const jwk = await publicJwk(key);
  let current: Awaited<ReturnType<typeof publicJwk>> | undefined;
  let retired: Awaited<ReturnType<typeof publicJwk>>[] = [];
  let demoKeyFile: string | undefined;
  try {
    const config = loadConfig();
    if (config.signing.privateKey) current = await publicJwk(config.signing.privateKey);
    else if (config.demo && existsSync(demoSigningKeyFile(config.dataDir))) {
      demoKeyFile = demoSigningKeyFile(config.dataDir);
      current = await publicJwk(parsePrivateKey(readFileSync(demoKeyFile, 'utf8'), demoKeyFile));
    }
    retired = await Promise.all(config.signing.retired.map(publicJwk));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`(the current settings could not be read: ${err.message})`);
  }
  const keep = [...(current ? [current] : []), ...retired];
  console.log(`New signing key, key id (kid) ${jwk.kid}:\n`);
  console.log(privateKeyPem(key));
  console.log('To roll it:');
  console.log('1. Keep the private key above secret (a secret store, not the repository).');
  console.log('2. Set SIGNING_KEY to it (the PEM as it is, or with its line breaks written as \\n).');
  if (demoKeyFile) console.log(`   (Demo mode signs with ${demoKeyFile} while SIGNING_KEY is unset: replacing that file's content also works.)`);
  if (keep.length > 0) {
    console.log('3. Set SIGNING_KEYS_RETIRED to this JWKS, so that marks signed so far keep verifying:\n');
    console.log(JSON.stringify({ keys: keep }));
    console.log();
  } else {
    console.log('3. Add the public key of the key you replace to SIGNING_KEYS_RETIRED (a JWKS: save');
    console.log('   PUBLIC_BASE_URL/.well-known/jwks.json before the restart and use its content), so that');
    console.log('   marks signed so far keep verifying. Never drop a retired key: old marks need it.');
  }
  console.log('4. Restart the service (every process). New consents are signed with the new key;');
  console.log(`   ${'/.well-known/jwks.json'} then lists ${jwk.kid} first and the retired keys after it.`);
  console.log('5. Tell whoever keeps a copy of the JWKS (banks, auditors) to fetch it again.');
}

main().catch((err: Error) => {
  console.error(`rotate-signing-key: ${err.message}`);
  process.exit(1);
});
