import { makeToken } from '../../../test/core/fakes.js';
import { REDACTED, redactTokens, redactValue } from './redactTokens.js';

describe('redactTokens', () => {
  it('CONN-9: replaces anything that looks like a JWT, wherever it appears', () => {
    const token = makeToken();
    expect(redactTokens(`offering rxc.auth.${token} now`)).toBe(`offering rxc.auth.${REDACTED} now`);
    expect(redactTokens(`Bearer ${token}`)).not.toContain(token.split('.')[1]);
    expect(redactTokens('state opening → handshaking')).toBe('state opening → handshaking');
  });

  it('CONN-9: redacts nested fields, token-named keys and error messages', () => {
    const token = makeToken();
    const value = redactValue({ args: { token }, note: [`x ${token}`], authorization: 'Basic abc', error: new Error(`bad ${token}`) });
    expect(JSON.stringify(value)).not.toContain(token.split('.')[1]);
    expect(value).toMatchObject({ args: { token: '[redacted]' }, authorization: '[redacted]', error: { name: 'Error' } });
  });
});
