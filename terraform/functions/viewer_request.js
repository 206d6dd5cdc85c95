// CloudFront Function (cloudfront-js-2.0), viewer request of the site behaviour.
// - www.<apex> answers 301 to https://<apex><uri>?<query>, the query string kept as received;
// - a URI in the author's redirects table (redirects.json, old path -> new URL) answers 301 to
//   the new URL, the query string kept;
// - a URI ending in "/" gets the index document, one whose last segment has no "." gets
//   "/" + the index document, so S3 serves the page Pelican wrote at <path>/index.html.
// tests/data/url_rewrite_cases.json is the shared table this and devstack/edge.py are tested on.

// Terraform replaces this line with the rules (index_document, redirect_cache_control,
// redirects) from shared/edge_rules.json and redirects.json (terraform/edge_rules.tf); the
// content check renders it the same way to hold the code under CloudFront's 10 KB limit.
var RULES = {};

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
        'cache-control': { value: RULES.redirect_cache_control },
      },
    };
  }

  if (Object.prototype.hasOwnProperty.call(RULES.redirects, request.uri)) {
    return {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: {
        location: { value: RULES.redirects[request.uri] + queryString(request.querystring) },
        'cache-control': { value: RULES.redirect_cache_control },
      },
    };
  }

  var uri = request.uri;
  if (uri.charAt(uri.length - 1) === '/') {
    request.uri = uri + RULES.index_document;
  } else if (uri.slice(uri.lastIndexOf('/') + 1).indexOf('.') === -1) {
    request.uri = uri + '/' + RULES.index_document;
  }
  return request;
}
