package server

import (
	"net/http"

	"hooklab/server/engine"
)

// The store API routes (/store/items, /store/namespaces): decode, call the
// engine, answer.

func (s *Server) handleItemPut(w http.ResponseWriter, r *http.Request) error {
	var b engine.ItemRequest
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	return noContent(w, s.eng.PutItem(b))
}

func (s *Server) handleItemGet(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	it, err := s.eng.GetItem(q.Get("namespace"), q.Get("key"))
	if err != nil {
		return err
	}
	if it == nil {
		writeJSON(w, http.StatusOK, nil)
		return nil
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}

func (s *Server) handleItemDelete(w http.ResponseWriter, r *http.Request) error {
	var b engine.ItemRequest
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	return noContent(w, s.eng.DeleteItem(b))
}

func (s *Server) handleItemSearch(w http.ResponseWriter, r *http.Request) error {
	var b engine.ItemSearch
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	found, err := s.eng.SearchItems(b)
	return answer(w, map[string]any{"items": found}, err)
}

func (s *Server) handleNamespaces(w http.ResponseWriter, r *http.Request) error {
	var b engine.NamespaceQuery
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	ns, err := s.eng.ListNamespaces(b)
	return answer(w, map[string]any{"namespaces": ns}, err)
}
