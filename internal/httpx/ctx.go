package httpx

import (
	"context"
	"net/http"
)

func contextWith(req *http.Request, key any) context.Context {
	return context.WithValue(req.Context(), key, true)
}
