// Package docexamples finds the GraphQL examples of the project's documentation (README.md and
// docs/**/*.md), so that the test that runs each of them against the demo country and the
// benchmark that times them read the same ones.
//
// An example is a ```graphql block; a ```json block right after it holds its variables. A block
// with several named operations is run once per operation, by name.
package docexamples

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Example is one ```graphql block of the documentation.
type Example struct {
	Where      string         // file:line of the block, the file relative to the root
	Query      string         // the block's text
	Variables  map[string]any // the ```json block right after it, if any
	Operations []string       // the names of its operations when it has several; nil otherwise
}

var (
	graphQLBlock = regexp.MustCompile("(?s)```graphql\n(.*?)```")
	jsonAfter    = regexp.MustCompile("(?s)^\\s*```json\n(.*?)```")
	namedOp      = regexp.MustCompile(`(?m)^(?:query|mutation)\s+(\w+)`)
	idVariable   = regexp.MustCompile(`\$\w+\s*:\s*ID\b`)
	derivedRead  = regexp.MustCompile(`assessment|akimKPI|welfareTransitions|socialObligationsForecast`)
)

// Find returns every example of README.md and docs/**/*.md below root (the module's folder), in
// file order.
func Find(root string) ([]Example, error) {
	files := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, rerr := filepath.Rel(root, p)
			if rerr != nil {
				return rerr
			}
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, f := range files {
		text, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		for _, m := range graphQLBlock.FindAllSubmatchIndex(text, -1) {
			ex := Example{
				Where: f + ":" + strconv.Itoa(bytes.Count(text[:m[0]], []byte("\n"))+1),
				Query: string(text[m[2]:m[3]]),
			}
			if v := jsonAfter.FindSubmatch(text[m[1]:]); v != nil {
				if err := json.Unmarshal(v[1], &ex.Variables); err != nil {
					return nil, fmt.Errorf("%s: the ```json block after the example is not a JSON object of variables: %w", ex.Where, err)
				}
			}
			if ops := namedOp.FindAllStringSubmatch(ex.Query, -1); len(ops) > 1 {
				for _, o := range ops {
					ex.Operations = append(ex.Operations, o[1])
				}
			}
			out = append(out, ex)
		}
	}
	return out, nil
}

// TakesNodeID reports whether the example takes a node ID as a variable. Node ids are the
// store's row ids, which PostgreSQL numbers from one less than SQLite does: the ids in the docs
// are those of the embedded SQLite default.
func (e Example) TakesNodeID() bool { return idVariable.MatchString(e.Query) }

// ReadsDerived reports whether the example reads what the family assessments produce (the
// longest step after the sync), so that it needs a gateway that is ready, not only one whose
// findings are computed.
func (e Example) ReadsDerived() bool { return derivedRead.MatchString(e.Query) }

// Runs returns the requests the example makes: one per operation (the operation's name, ""
// for a block of one).
func (e Example) Runs() []string {
	if e.Operations == nil {
		return []string{""}
	}
	return e.Operations
}

// Body returns the JSON request body of the example's operation op ("" for a block of one).
func (e Example) Body(op string) map[string]any {
	body := map[string]any{"query": e.Query}
	if e.Variables != nil {
		body["variables"] = e.Variables
	}
	if op != "" {
		body["operationName"] = op
	}
	return body
}
