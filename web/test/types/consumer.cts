// The CommonJS entry's declarations (require through the exports map).
import dbtoken = require('dbtoken');

const token: string = dbtoken.rdsToken({ hostname: 'db.example.com', port: 5432, username: 'u', region: 'us-east-1' });
const s: Promise<string> = new dbtoken.Signer({ hostname: 'db.example.com', port: 5432, username: 'u' }).getAuthToken();
const guard: boolean = dbtoken.isTokenError(new Error('x'));
// @ts-expect-error: hostname is required
dbtoken.dsqlToken({});

export = { token, s, guard };
