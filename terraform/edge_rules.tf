# The edge's rules from their one source, shared/edge_rules.json, with the author's optional
# additions at the project root: redirects.json (old path -> new URL) and csp.json (directive ->
# extra sources). The local edge and make check read the same files through
# shared/edge_rules.py, which merges them the same way (tests/terraform/test_edge_rules_agree.py).
locals {
  edge_rules         = jsondecode(file("${path.module}/../shared/edge_rules.json"))
  edge_headers       = local.edge_rules.security_headers
  redirects_file     = "${path.module}/../redirects.json"
  redirects          = fileexists(local.redirects_file) ? jsondecode(file(local.redirects_file)) : {}
  csp_additions_file = "${path.module}/../csp.json"
  csp_additions      = fileexists(local.csp_additions_file) ? jsondecode(file(local.csp_additions_file)) : {}

  # A directive the base does not set starts from default-src's sources, as a browser falls
  # back to them; the author's sources follow the directive's own.
  csp_directives = {
    for name in distinct(concat(keys(local.edge_headers.content_security_policy), keys(local.csp_additions))) :
    name => distinct(concat(
      try(local.edge_headers.content_security_policy[name], local.edge_headers.content_security_policy["default-src"]),
      try(local.csp_additions[name], []),
    ))
  }
  content_security_policy = join("; ", [for name, sources in local.csp_directives : "${name} ${join(" ", sources)}"])

  # The function's code carries its rules in place of its empty table: one lookup per request,
  # no extra service.
  viewer_request_code = replace(
    file("${path.module}/functions/viewer_request.js"),
    "var RULES = {};",
    "var RULES = ${jsonencode({
      index_document         = local.edge_rules.viewer_request.index_document
      redirect_cache_control = local.edge_rules.viewer_request.redirect_cache_control
      redirects              = local.redirects
    })};",
  )
}
