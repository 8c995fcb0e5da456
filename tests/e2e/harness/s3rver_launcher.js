'use strict';
// Runs s3rver (npm) over TLS with credentials the test chooses, and lets the test rotate them.
//
// Usage: node s3rver_launcher.js S3RVER_MODULE_DIR CONFIG_JSON
// CONFIG_JSON: {"address", "port", "directory", "cert", "key", "bucket", "credentials_file"}
// credentials_file: {"access_key": "...", "secret_key": "..."}; on SIGHUP it is read again and
// becomes the only accepted key pair (the previous one and s3rver's built-in S3RVER key are
// revoked). Prints one JSON line {"event": "listening"|"reloaded", ...} per event on stdout.
//
// s3rver 3.7 checks only the access key id of a Signature V4 request, not the signature, so a
// wrong secret would pass. The middleware below verifies every V4 header signature against the
// current secret (the payload hash is taken from x-amz-content-sha256, as S3 does).

const fs = require('fs');
const path = require('path');

const moduleDir = process.argv[2];
const config = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const S3rver = require(moduleDir);
const AWSAccount = require(path.join(moduleDir, 'lib', 'models', 'account'));
const crypto = require('crypto');

const credentials = { access_key: null, secret_key: null };

function loadCredentials() {
  const creds = JSON.parse(fs.readFileSync(config.credentials_file, 'utf8'));
  const account = AWSAccount.DUMMY_ACCOUNT;
  for (const accessKeyId of Array.from(account.accessKeys.keys())) {
    account.revokeAccessKey(accessKeyId);
  }
  account.createKeyPair(creds.access_key, creds.secret_key);
  credentials.access_key = creds.access_key;
  credentials.secret_key = creds.secret_key;
  return creds.access_key;
}

function rfc3986(value) {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      const decode = (v) => decodeURIComponent(v.replace(/\+/g, ' '));
      return [rfc3986(decode(name)), rfc3986(decode(value))];
    })
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([name, value]) => name + '=' + value)
    .join('&');
}

function hmac(key, data) {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256hex(data) {
  return crypto.createHash('sha256').update(data, 'utf8').digest('hex');
}

// Returns null when the request is not a V4 header-signed one or its signature is right,
// otherwise the reason it is rejected.
function checkSignatureV4(req) {
  const authorization = req.headers['authorization'] || '';
  if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) return null;
  const fields = {};
  for (const item of authorization.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const [key, ...rest] = item.trim().split('=');
    fields[key] = rest.join('=');
  }
  const [accessKey, date, region, service, terminator] = (fields.Credential || '').split('/');
  if (accessKey !== credentials.access_key) return null; // s3rver answers InvalidAccessKeyId
  const signedHeaders = (fields.SignedHeaders || '').split(';');
  const [rawPath, rawQuery] = req.url.split(/\?(.*)/s);
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
      return name + ':' + text.trim().replace(/\s+/g, ' ') + '\n';
    })
    .join('');
  const canonicalRequest = [
    req.method,
    rawPath,
    canonicalQuery(rawQuery),
    canonicalHeaders,
    fields.SignedHeaders,
    req.headers['x-amz-content-sha256'] || 'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = [date, region, service, terminator].join('/');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    req.headers['x-amz-date'],
    scope,
    sha256hex(canonicalRequest),
  ].join('\n');
  let key = hmac('AWS4' + credentials.secret_key, date);
  for (const part of [region, service, terminator]) key = hmac(key, part);
  const expected = hmac(key, stringToSign).toString('hex');
  return expected === fields.Signature ? null : 'SignatureDoesNotMatch';
}

async function verifySignature(ctx, next) {
  const problem = checkSignatureV4(ctx.req);
  if (problem) {
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + problem +
      '</Code><Message>The request signature we calculated does not match the signature ' +
      'you provided. Check your key and signing method.</Message></Error>';
    return;
  }
  await next();
}

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

async function main() {
  const accessKey = loadCredentials();
  const server = new S3rver({
    address: config.address,
    port: config.port,
    directory: config.directory,
    cert: fs.readFileSync(config.cert),
    key: fs.readFileSync(config.key),
    silent: !config.verbose,
    vhostBuckets: false,
    configureBuckets: [{ name: config.bucket, configs: [] }],
  });
  server.middleware.unshift(verifySignature);
  const { address, port } = await server.run();
  process.on('SIGHUP', () => {
    try {
      emit({ event: 'reloaded', access_key: loadCredentials() });
    } catch (err) {
      emit({ event: 'reload-failed', error: String(err) });
    }
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  emit({ event: 'listening', address, port, access_key: accessKey });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
