import ssh2 from 'ssh2';

/**
 * A fresh ed25519 key pair in OpenSSH format, kept in memory only. ssh2's generator now and then
 * (about 1 in 256) drops a leading zero byte of the public key and writes a key that no server
 * accepts ("Unsupported or invalid SSH public key format"), so a pair is checked before use.
 */
export function makeUploadKey(): { private: string; public: string } {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    const priv = ssh2.utils.parseKey(pair.private);
    const pub = ssh2.utils.parseKey(pair.public);
    if (priv instanceof Error || Array.isArray(priv) || pub instanceof Error || Array.isArray(pub)) continue;
    // string "ssh-ed25519" (4 + 11) + string key (4 + 32)
    if (priv.getPublicSSH().length === 51 && pub.getPublicSSH().equals(priv.getPublicSSH())) return pair;
  }
  throw new Error('could not generate a usable ed25519 key pair');
}
