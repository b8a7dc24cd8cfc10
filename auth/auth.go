// Package auth owns the caller's identity: who is asking (subject, role, client, region scope),
// how a request proves it (an Authenticator for bearer credentials: API keys from configuration
// now, signed tokens later), and the HTTP middleware that refuses a request without one, so no
// request reaches a resolver anonymously.
//
// auth decides who the caller is, not what they may see: authorisation (roles × fields, region
// scope on rows, purpose) belongs to the layers that read data. auth never touches the store.
package auth

import (
	"context"
	"errors"
	"slices"

	"github.com/birlik/birlik/domain"
)

// The roles a caller can have; docs/access.md gives each its view of the graph.
const (
	RoleCitizen    = "citizen"    // their own record and their family's
	RoleCaseworker = "caseworker" // families and people of their region
	RoleAnalyst    = "analyst"    // every region, aggregates and findings
	RoleInspector  = "inspector"  // the findings workflow
	RoleHealth     = "health"     // the medical information system
	RoleAdmin      = "admin"      // everything
)

// Roles lists every role, for validation and documentation.
var Roles = []string{RoleCitizen, RoleCaseworker, RoleAnalyst, RoleInspector, RoleHealth, RoleAdmin}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool { return slices.Contains(Roles, role) }

// Identity is the authenticated caller of one request.
type Identity struct {
	Subject string        // who: a person's IIN for a signed token, the client name for an API key
	Role    string        // one of Roles
	Client  string        // the calling organisation or system, e.g. "umis", "family-card"
	Regions []domain.KATO // the region scope; empty means every region
}

// AllRegions reports whether the identity's scope is the whole country.
func (id Identity) AllRegions() bool { return len(id.Regions) == 0 }

// InScope reports whether region k is within the identity's scope.
func (id Identity) InScope(k domain.KATO) bool {
	return id.AllRegions() || slices.Contains(id.Regions, k)
}

type ctxKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the identity ctx carries; ok is false for an anonymous context (which
// the middleware never lets reach a resolver).
func FromContext(ctx context.Context) (id Identity, ok bool) {
	id, ok = ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

// ErrUnknownCredential is what an Authenticator returns for a credential it does not recognise
// at all; a Chain then asks the next one. Any other error (an expired or wrongly signed token)
// ends the chain: the credential was recognised and refused.
var ErrUnknownCredential = errors.New("unknown credential")

// Authenticator turns a bearer credential (an API key, a signed token) into an identity. Errors
// other than ErrUnknownCredential should be *apperr.Error with code UNAUTHENTICATED and a message
// that says what is wrong (expired, malformed, wrongly signed).
type Authenticator interface {
	Authenticate(ctx context.Context, credential string) (Identity, error)
}

// Chain asks each authenticator in turn until one recognises the credential.
type Chain []Authenticator

// Authenticate implements Authenticator.
func (c Chain) Authenticate(ctx context.Context, credential string) (Identity, error) {
	for _, a := range c {
		id, err := a.Authenticate(ctx, credential)
		if errors.Is(err, ErrUnknownCredential) {
			continue
		}
		return id, err
	}
	return Identity{}, ErrUnknownCredential
}
