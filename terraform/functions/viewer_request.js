// CloudFront Function (cloudfront-js-2.0), viewer request of the site behaviour.
// - www.<apex> answers 301 to https://<apex><uri>?<query>, the query string kept as received;
// - a URI in the author's redirects table (redirects.json, old path -> new URL) answers 301 to
//   the new URL, the query string kept;
// - a URI ending in "/" gets "index.html", one whose last segment has no "." gets "/index.html",
//   so S3 serves the page Pelican wrote at <path>/index.html.
// tests/data/url_rewrite_cases.json is the shared table this and devstack/edge.py are tested on.

// Terraform replaces this line with the table from redirects.json (terraform/cdn.tf); the
// content check renders it the same way to hold the code under CloudFront's 10 KB limit.
var REDIRECTS = {};

function queryString(querystring) {
  var parts = [];
  for (var name in querystring) {
    var entry = querystring[name];
    var values = entry.multiValue ? entry.multiValue : [entry];
    for (var i = 0; i < values.length; i++) {
      parts.push(name + '=' + values[i].value);
    }
  }
  return parts.length ? '?' + parts.join('&') : '';
}

function handler(event) {
  var request = event.request;
  var host = request.headers.host ? request.headers.host.value : '';

  if (host.indexOf('www.') === 0) {
    return {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: {
        location: { value: 'https://' + host.slice(4) + request.uri + queryString(request.querystring) },
        'cache-control': { value: 'max-age=3600' },
      },
    };
  }

  if (Object.prototype.hasOwnProperty.call(REDIRECTS, request.uri)) {
    return {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: {
        location: { value: REDIRECTS[request.uri] + queryString(request.querystring) },
        'cache-control': { value: 'max-age=3600' },
      },
    };
  }

  var uri = request.uri;
  if (uri.charAt(uri.length - 1) === '/') {
    request.uri = uri + 'index.html';
  } else if (uri.slice(uri.lastIndexOf('/') + 1).indexOf('.') === -1) {
    request.uri = uri + '/index.html';
  }
  return request;
}
