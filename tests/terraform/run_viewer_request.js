// Runs terraform/functions/viewer_request.js on every case of tests/data/url_rewrite_cases.json
// the way CloudFront calls it (event shape of cloudfront-js-2.0) and prints the outcomes as JSON.
'use strict';
const fs = require('fs');
const vm = require('vm');

// The rules (shared/edge_rules.json's, as JSON) with a case's "redirects" table go into the code
// in place of `placeholder`, as Terraform puts them there (terraform/edge_rules.tf); each case
// runs in a fresh context.
const [functionPath, casesPath, placeholder, rulesJson] = process.argv.slice(2);
const code = fs.readFileSync(functionPath, 'utf8');
const rules = JSON.parse(rulesJson);

function functionWith(redirects) {
  const sandbox = {};
  const table = 'var RULES = ' + JSON.stringify(Object.assign({}, rules, { redirects: redirects || {} })) + ';';
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
