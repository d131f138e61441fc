// The declarations alone, as a browser project (a bundler with the `browser` condition) sees
// them: no Node types, no AWS SDK.
import { rdsToken, isTokenError, Signer, type AwsCredentialIdentityProvider } from 'dbtoken';
// @ts-expect-error: mysql2Options is Node only (not in the browser build)
import { mysql2Options } from 'dbtoken';

const provider: AwsCredentialIdentityProvider = async () => ({ accessKeyId: 'AKID', secretAccessKey: 's' });
const signer = new Signer({ hostname: 'db.example.com', port: 5432, username: 'u', region: 'us-east-1', credentials: provider });
export const token: Promise<string> = signer.getAuthToken();
try {
  rdsToken({ hostname: 'db.example.com', port: 5432, username: 'u', credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } });
} catch (e) {
  if (isTokenError(e)) document.title = e.code;
}
