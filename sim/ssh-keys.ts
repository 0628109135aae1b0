import ssh2 from 'ssh2';

/**
 * An ed25519 key pair in OpenSSH format. ssh2's generator occasionally (about 1 in 256) drops a
 * leading zero byte of the public key and writes a key nobody can parse, so retry until the
 * pair parses and its public blob has the full 32 bytes.
 */
export function generateEd25519(): { private: string; public: string } {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    const parsed = ssh2.utils.parseKey(pair.private);
    if (parsed instanceof Error || Array.isArray(parsed)) continue;
    // string "ssh-ed25519" (4 + 11) + string key (4 + 32)
    if (parsed.getPublicSSH().length === 51) return pair;
  }
  throw new Error('could not generate an ed25519 key pair');
}
