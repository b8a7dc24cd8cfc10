package auth

// FindingEditors are the roles that may change a finding's status (confirm or dismiss it),
// within their region scope. The store's write rule for findings (ent/schema/writes.go) and the
// schema's documentation of confirmFinding and dismissFinding follow this list; every other
// role, and every other write by a caller, is refused.
var FindingEditors = []string{RoleAnalyst, RoleInspector, RoleAdmin}
