package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"hooklab/server/store"
)

// The LangGraph store API (/store/items, /store/namespaces): JSON items
// under a namespace (a list of labels) and a key, kept in memory and
// written through to the store's store_items table, so they survive a
// restart. The rules are the platform's: a label is a non-empty string
// without "."; the root label "langgraph" is reserved; a put answers 204,
// a get of a missing item 200 null, a delete 204 whether or not the item
// existed; a search without a query has no score (null); neither index nor
// ttl changes anything here (no embeddings, no expiry).

// Item is a stored item as the API serves it.
type Item struct {
	Namespace []string        `json:"namespace"`
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	CreatedAt Time            `json:"created_at"`
	UpdatedAt Time            `json:"updated_at"`
}

// SearchItem is an item found by a search: score is null without a query.
type SearchItem struct {
	Item
	Score *float64 `json:"score"`
}

// ItemRequest is the body of PUT and DELETE /store/items.
type ItemRequest struct {
	Namespace json.RawMessage `json:"namespace"`
	Key       *string         `json:"key"`
	Value     json.RawMessage `json:"value"`
	Index     json.RawMessage `json:"index"`
	TTL       *float64        `json:"ttl"`
}

// ItemSearch is the body of POST /store/items/search.
type ItemSearch struct {
	NamespacePrefix json.RawMessage `json:"namespace_prefix"`
	Filter          map[string]any  `json:"filter"`
	Limit           *int            `json:"limit"`
	Offset          int             `json:"offset"`
	Query           *string         `json:"query"`
	RefreshTTL      *bool           `json:"refresh_ttl"`
}

// NamespaceQuery is the body of POST /store/namespaces.
type NamespaceQuery struct {
	Prefix   json.RawMessage `json:"prefix"`
	Suffix   json.RawMessage `json:"suffix"`
	MaxDepth *int            `json:"max_depth"`
	Limit    *int            `json:"limit"`
	Offset   int             `json:"offset"`
}

// items is the store API's table.
type items struct {
	mu sync.Mutex
	m  map[string]*Item // by itemID
}

func itemID(ns []string, key string) string {
	b, _ := json.Marshal([]any{ns, key})
	return string(b)
}

// pyTuple writes labels as Python prints a tuple, as the platform's
// messages quote a namespace.
func pyTuple(labels []string) string {
	q := make([]string, len(labels))
	for i, l := range labels {
		q[i] = "'" + l + "'"
	}
	if len(q) == 1 {
		return "(" + q[0] + ",)"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// parseNamespace reads a namespace (a list of labels) from field. Wildcard
// "*" labels are allowed where a pattern is (namespace listing).
func parseNamespace(field string, raw json.RawMessage, wildcard bool) ([]string, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	var list []any
	if json.Unmarshal(raw, &list) != nil {
		return nil, Invalid(field, "Namespace must be a list of labels, such as [\"users\", \"123\"]")
	}
	out := make([]string, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok || s == "" || strings.Contains(s, ".") {
			return nil, Invalid(field, "Namespace label %s must be a non-empty string without periods", pyRepr(v))
		}
		if s == "*" && !wildcard {
			return nil, Invalid(field, "Namespace label '*' is a wildcard, allowed only in a namespace listing's prefix or suffix")
		}
		out[i] = s
	}
	return out, nil
}

func pyRepr(v any) string {
	if s, ok := v.(string); ok {
		return "'" + s + "'"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// checkWritable applies the rules of a namespace items are written under.
func checkWritable(ns []string) error {
	if len(ns) == 0 {
		return Errorf(ErrRejected, "namespace: Namespace cannot be empty; pass a list of labels such as [\"users\", \"123\"]")
	}
	if ns[0] == "langgraph" {
		return Errorf(ErrRejected, "namespace: Root label for namespace cannot be \"langgraph\". Got: %s", pyTuple(ns))
	}
	return nil
}

func (e *Engine) loadItems() error {
	e.items.m = map[string]*Item{}
	if e.o.Store == nil {
		return nil
	}
	recs, err := e.o.Store.Load(store.StoreItems)
	if err != nil {
		return fmt.Errorf("load %s: %w", store.StoreItems, err)
	}
	for _, r := range recs {
		var it Item
		if err := json.Unmarshal(r.Data, &it); err != nil {
			e.o.Logger.Warn("skipping unreadable record", "table", store.StoreItems, "id", r.ID, "err", err)
			continue
		}
		e.items.m[itemID(it.Namespace, it.Key)] = &it
	}
	return nil
}

// PutItem stores (or replaces) an item.
func (e *Engine) PutItem(b ItemRequest) error {
	ns, err := parseNamespace("namespace", b.Namespace, false)
	if err != nil {
		return err
	}
	if b.Key == nil {
		return Invalid("key", "required; the item's key within its namespace")
	}
	if len(bytes.TrimSpace(b.Value)) == 0 || b.Value[0] != '{' {
		return Invalid("value", "expected an object, such as {\"text\": \"...\"}")
	}
	if len(b.Index) > 0 && !isNull(b.Index) && string(b.Index) != "false" {
		var paths []string
		if json.Unmarshal(b.Index, &paths) != nil {
			return Invalid("index", "expected false or a list of field paths")
		}
	}
	if err := checkWritable(ns); err != nil {
		return err
	}
	id := itemID(ns, *b.Key)
	now := Now()
	e.items.mu.Lock()
	defer e.items.mu.Unlock()
	it := &Item{Namespace: ns, Key: *b.Key, Value: append(json.RawMessage(nil), b.Value...), CreatedAt: now, UpdatedAt: now}
	if old, ok := e.items.m[id]; ok {
		it.CreatedAt = old.CreatedAt
	}
	e.items.m[id] = it
	e.persist(store.StoreItems, id, strings.Join(ns, "."), it)
	return nil
}

// GetItem returns an item, or nil when there is none. namespace is the
// labels joined with ".", as the query string carries it.
func (e *Engine) GetItem(namespace, key string) (*Item, error) {
	if namespace == "" {
		return nil, Invalid("namespace", "required; pass the labels joined with \".\", e.g. ?namespace=users.123&key=prefs")
	}
	ns := strings.Split(namespace, ".")
	for _, l := range ns {
		if l == "" {
			return nil, Invalid("namespace", "Namespace label '' must be a non-empty string without periods (got %q)", namespace)
		}
	}
	if key == "" {
		return nil, Errorf(ErrRejected, "key: Key is required; pass ?key=...")
	}
	e.items.mu.Lock()
	defer e.items.mu.Unlock()
	it, ok := e.items.m[itemID(ns, key)]
	if !ok {
		return nil, nil
	}
	cp := *it
	return &cp, nil
}

// DeleteItem deletes an item; deleting a missing one is not an error.
func (e *Engine) DeleteItem(b ItemRequest) error {
	ns, err := parseNamespace("namespace", b.Namespace, false)
	if err != nil {
		return err
	}
	if b.Key == nil {
		return Invalid("key", "required; the item's key within its namespace")
	}
	id := itemID(ns, *b.Key)
	e.items.mu.Lock()
	defer e.items.mu.Unlock()
	if _, ok := e.items.m[id]; ok {
		delete(e.items.m, id)
		e.unpersist(store.StoreItems, id)
	}
	return nil
}

// SearchItems lists the items under a namespace prefix that match the
// filter, most recently updated first.
func (e *Engine) SearchItems(b ItemSearch) ([]SearchItem, error) {
	prefix, err := parseNamespace("namespace_prefix", b.NamespacePrefix, false)
	if err != nil {
		return nil, err
	}
	limit := 10
	if b.Limit != nil && *b.Limit != 0 {
		limit = *b.Limit
	}
	if limit < 0 {
		return nil, Invalid("limit", "must not be negative, got %d", limit)
	}
	if b.Offset < 0 {
		return nil, Invalid("offset", "must not be negative, got %d", b.Offset)
	}
	for k, v := range b.Filter {
		if err := checkFilter(k, v); err != nil {
			return nil, err
		}
	}
	e.items.mu.Lock()
	var found []SearchItem
	for _, it := range e.items.m {
		if hasPrefix(it.Namespace, prefix) && matchesFilter(it.Value, b.Filter) {
			found = append(found, SearchItem{Item: *it})
		}
	}
	e.items.mu.Unlock()
	sort.Slice(found, func(i, j int) bool {
		x, y := found[i], found[j]
		if !x.UpdatedAt.Equal(y.UpdatedAt.Time) {
			return x.UpdatedAt.After(y.UpdatedAt.Time)
		}
		return itemID(x.Namespace, x.Key) < itemID(y.Namespace, y.Key)
	})
	lo := min(b.Offset, len(found))
	out := found[lo:min(lo+limit, len(found))]
	if out == nil {
		out = []SearchItem{}
	}
	return out, nil
}

// ListNamespaces lists the namespaces that hold items, sorted, matching
// the prefix and suffix ("*" matches any label), cut to max_depth labels.
func (e *Engine) ListNamespaces(b NamespaceQuery) ([][]string, error) {
	prefix, err := parseNamespace("prefix", b.Prefix, true)
	if err != nil {
		return nil, err
	}
	suffix, err := parseNamespace("suffix", b.Suffix, true)
	if err != nil {
		return nil, err
	}
	limit := 100
	if b.Limit != nil {
		limit = *b.Limit
	}
	if limit < 0 || b.Offset < 0 {
		return nil, Invalid("limit", "limit and offset must not be negative")
	}
	if b.MaxDepth != nil && *b.MaxDepth <= 0 {
		return nil, Invalid("max_depth", "must be a positive number of labels, got %d", *b.MaxDepth)
	}
	seen := map[string][]string{}
	e.items.mu.Lock()
	for _, it := range e.items.m {
		ns := it.Namespace
		if !patternAt(ns, prefix, 0) || !patternAt(ns, suffix, len(ns)-len(suffix)) {
			continue
		}
		if b.MaxDepth != nil && len(ns) > *b.MaxDepth {
			ns = ns[:*b.MaxDepth]
		}
		seen[strings.Join(ns, "\x00")] = ns
	}
	e.items.mu.Unlock()
	out := make([][]string, 0, len(seen))
	for _, ns := range seen {
		out = append(out, slices.Clone(ns))
	}
	sort.Slice(out, func(i, j int) bool { return slices.Compare(out[i], out[j]) < 0 })
	lo := min(b.Offset, len(out))
	return out[lo:min(lo+limit, len(out))], nil
}

func hasPrefix(ns, prefix []string) bool {
	return len(ns) >= len(prefix) && slices.Equal(ns[:len(prefix)], prefix)
}

// patternAt reports whether pattern matches ns from label at ("*" matches
// any one label).
func patternAt(ns, pattern []string, at int) bool {
	if len(pattern) == 0 {
		return true
	}
	if at < 0 || at+len(pattern) > len(ns) {
		return false
	}
	for i, p := range pattern {
		if p != "*" && p != ns[at+i] {
			return false
		}
	}
	return true
}

// filterOps are the comparison operators a search filter accepts.
func filterOps() []string { return []string{"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"} }

func checkFilter(key string, v any) error {
	ops, ok := v.(map[string]any)
	if !ok || !isOperatorMap(ops) {
		return nil
	}
	for op := range ops {
		if !slices.Contains(filterOps(), op) {
			return Invalid("filter."+key, "unknown operator %q; use one of %s", op, strings.Join(filterOps(), ", "))
		}
	}
	return nil
}

func isOperatorMap(m map[string]any) bool {
	if len(m) == 0 {
		return false
	}
	for k := range m {
		if !strings.HasPrefix(k, "$") {
			return false
		}
	}
	return true
}

// matchesFilter applies a search filter: each key of filter must equal the
// item's value at that key, or pass every operator of an operator object.
func matchesFilter(value json.RawMessage, filter map[string]any) bool {
	if len(filter) == 0 {
		return true
	}
	var v map[string]any
	if json.Unmarshal(value, &v) != nil {
		return false
	}
	for k, want := range filter {
		have, present := v[k]
		ops, isOps := want.(map[string]any)
		if !isOps || !isOperatorMap(ops) {
			if !present || !jsonEqual(have, want) {
				return false
			}
			continue
		}
		for op, arg := range ops {
			if !compareOp(op, have, present, arg) {
				return false
			}
		}
	}
	return true
}

func compareOp(op string, have any, present bool, arg any) bool {
	switch op {
	case "$eq":
		return present && jsonEqual(have, arg)
	case "$ne":
		return !present || !jsonEqual(have, arg)
	}
	if !present {
		return false
	}
	var c int
	switch h := have.(type) {
	case float64:
		a, ok := arg.(float64)
		if !ok {
			return false
		}
		c = cmpFloat(h, a)
	case string:
		a, ok := arg.(string)
		if !ok {
			return false
		}
		c = strings.Compare(h, a)
	default:
		return false
	}
	switch op {
	case "$gt":
		return c > 0
	case "$gte":
		return c >= 0
	case "$lt":
		return c < 0
	case "$lte":
		return c <= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
