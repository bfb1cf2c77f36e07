package fedsync

import (
	"context"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
)

// A push reaches origin first and the mirrors after. A sync lists origin
// and its mirrors at once, so a mirror may answer after such a push and
// origin before it: the mirror then has a branch origin seems to lack,
// which prune would delete, or a newer commit, which force would rewind.
// The compare-and-swap of the mirror's update does not help, since the
// mirror still has the value listed. So a delete or a forced update is
// made only while origin, listed again once every mirror has answered,
// still has the value it was planned from; otherwise the ref is left as
// it is, and the next sync decides from listings that agree.

// ReasonOriginMoved is the reason of a mirror ref that prune would have
// deleted, or force overwritten, left as it is because origin changed
// while the sync ran.
var ReasonOriginMoved = i18n.M("left as it is: origin changed while this sync ran; the next sync decides")

// ReasonOriginUnconfirmed is the reason of such a ref when origin could
// not be listed again.
var ReasonOriginUnconfirmed = i18n.M("left as it is: origin could not be listed again to confirm it; the next sync decides")

// originNow is origin's refs listed again, once for the run.
type originNow func() (map[string]string, error)

// originAgain lists f's origin again the first time it is called.
func (e *Engine) originAgain(ctx context.Context, f *federation.Federation) originNow {
	return sync.OnceValues(func() (map[string]string, error) {
		l, err := e.listRefs(ctx, f, f.Origin, sendpack.UploadPack)
		if err != nil {
			return nil, err
		}
		return l.Values(), nil
	})
}

// confirm keeps each delete or forced update of plans that origin, as
// listed now, no longer supports, and returns the kept refs' reasons.
func confirm(plans []RefPlan, now originNow) map[string]i18n.Msg {
	var kept map[string]i18n.Msg
	for i := range plans {
		p := &plans[i]
		if p.Action != ActDelete && p.Action != ActForce {
			continue
		}
		values, err := now()
		why := ReasonOriginMoved
		switch {
		case err != nil:
			why = ReasonOriginUnconfirmed
		case values[p.Ref] == p.Origin:
			continue
		}
		if kept == nil {
			kept = map[string]i18n.Msg{}
		}
		p.Action, kept[p.Ref] = ActKeep, why
	}
	return kept
}
