import forge from 'node-forge';

/** A PEM certificate and its private key. */
export interface Issued {
  readonly cert: string;
  readonly key: string;
}

/** A throw-away certificate authority that issues server and client certificates for tests. */
export interface TestCA extends Issued {
  server(commonName: string, options?: { dns?: readonly string[]; ips?: readonly string[] }): Issued;
  client(commonName: string): Issued;
}

let serial = 1;

function keyPair(): forge.pki.rsa.KeyPair {
  // 2048-bit RSA through Node's native generator (node-forge uses it when available): fast enough for tests.
  return forge.pki.rsa.generateKeyPair({ bits: 2048 });
}

function newCert(
  subjectCN: string,
  publicKey: forge.pki.PublicKey,
  issuer: forge.pki.Certificate | undefined,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: subjectCN }]);
  cert.setIssuer(issuer ? issuer.subject.attributes : [{ name: 'commonName', value: subjectCN }]);
  return cert;
}

/** Creates a CA (self-signed, 1 day). Pure apart from key generation. */
export function createCA(commonName = 'test-ca'): TestCA {
  const keys = keyPair();
  const caCert = newCert(commonName, keys.publicKey, undefined);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  caCert.sign(keys.privateKey, forge.md.sha256.create());

  const issue = (cn: string, extensions: object[]): Issued => {
    const leafKeys = keyPair();
    const cert = newCert(cn, leafKeys.publicKey, caCert);
    cert.setExtensions([{ name: 'basicConstraints', cA: false }, ...extensions]);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(leafKeys.privateKey) };
  };

  return {
    cert: forge.pki.certificateToPem(caCert),
    key: forge.pki.privateKeyToPem(keys.privateKey),
    server(cn, options = {}) {
      const altNames = [
        ...(options.dns ?? ['localhost']).map((value) => ({ type: 2, value })),
        ...(options.ips ?? ['127.0.0.1']).map((ip) => ({ type: 7, ip })),
      ];
      return issue(cn, [
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ]);
    },
    client(cn) {
      return issue(cn, [
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', clientAuth: true },
      ]);
    },
  };
}
