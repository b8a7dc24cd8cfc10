// Package domain holds Birlik's shared vocabulary: the identifiers (IIN, BIN), the value types
// (Tenge, Date, Month, Region), the records every ministry source is mapped into, and the Digital
// Family Card's welfare categories and indicators.
//
// Connectors map their native formats into these records; the generator produces them; sync
// writes them to the store. The package owns no wire format and no storage: it must not import
// any other package of the project.
package domain
