// Runs terraform/functions/viewer_request.js on every case of tests/data/url_rewrite_cases.json
// the way CloudFront calls it (event shape of cloudfront-js-2.0) and prints the outcomes as JSON.
'use strict';
const fs = require('fs');
const vm = require('vm');

// A case's "redirects" table goes into the code in place of `placeholder`, as Terraform puts
// redirects.json there (terraform/cdn.tf); each case runs in a fresh context.
const [functionPath, casesPath, placeholder] = process.argv.slice(2);
const code = fs.readFileSync(functionPath, 'utf8');

function functionWith(redirects) {
  const sandbox = {};
  const table = 'var REDIRECTS = ' + JSON.stringify(redirects || {}) + ';';
  vm.runInNewContext(code.replace(placeholder, () => table), sandbox, { filename: functionPath });
  return sandbox;
}

function querystringEvent(querystring) {
  const event = {};
  for (const [name, value] of Object.entries(querystring || {})) {
    const values = Array.isArray(value) ? value : [value];
    event[name] = { value: values[0] };
    if (values.length > 1) event[name].multiValue = values.map((v) => ({ value: v }));
  }
  return event;
}

const outcomes = JSON.parse(fs.readFileSync(casesPath, 'utf8')).map((testCase) => {
  const event = {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '192.0.2.1' },
    request: {
      method: 'GET',
      uri: testCase.uri,
      querystring: querystringEvent(testCase.querystring),
      headers: { host: { value: testCase.host } },
      cookies: {},
    },
  };
  const result = functionWith(testCase.redirects).handler(event);
  if (result.statusCode) {
    return { name: testCase.name, status: result.statusCode, redirect: result.headers.location.value };
  }
  return { name: testCase.name, uri: result.uri };
});
process.stdout.write(JSON.stringify(outcomes));
