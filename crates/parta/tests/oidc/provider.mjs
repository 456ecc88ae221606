// A real OpenID Connect provider (panva/oidc-provider) for Parta's end-to-end sign-in
// tests. Usage: node provider.mjs PORT REDIRECT_URI. Any password signs in; the login
// chooses the account, whose claims are below.
import Provider from 'oidc-provider';

const [port, redirectUri] = process.argv.slice(2);

const accounts = {
  'by-email': { email: 'oidc.parent@example.ru', email_verified: true },
  'by-snils': { snils: '112-233-445 95' },
  unverified: { email: 'oidc.parent@example.ru', email_verified: false },
  stranger: { email: 'nobody@example.ru', email_verified: true },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'parta',
    client_secret: 'parta-test-secret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], snils: ['snils'] },
  scopes: ['openid', 'email', 'snils'],
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['parta-test-cookie-key'] },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, ...(accounts[id] || {}) }; } };
  },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => { console.log('ready'); });
