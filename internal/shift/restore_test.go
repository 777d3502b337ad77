package shift

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRestore(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(f *fakeAWS)
		req       Restore
		wantTo    string
		wantMoved bool
		wantWas   string
		wantErr   string
		wantAlarm string // substring of the alarm outcome
	}{
		{
			name:      "promoted alias goes back to the version before it",
			setup:     func(f *fakeAWS) { f.setAlias("live", "4", nil) },
			req:       Restore{Alarms: []string{"orders-errors"}},
			wantTo:    "3",
			wantMoved: true,
			wantWas:   "4 with no weights",
			wantAlarm: "1 OK",
		},
		{
			name:      "split alias goes back to its primary",
			setup:     func(f *fakeAWS) { f.setAlias("live", "3", map[string]float64{"4": 0.1}) },
			wantTo:    "3",
			wantMoved: true,
			wantWas:   "3 with 10% on 4",
		},
		{
			name:      "named version",
			setup:     func(f *fakeAWS) { f.setAlias("live", "4", nil) },
			req:       Restore{ToVersion: "1"},
			wantTo:    "1",
			wantMoved: true,
			wantWas:   "4 with no weights",
		},
		{
			name:    "already there: nothing written",
			req:     Restore{ToVersion: "3"},
			wantTo:  "3",
			wantWas: "3 with no weights",
		},
		{
			name:    "oldest version has nothing before it",
			setup:   func(f *fakeAWS) { f.setAlias("live", "1", nil) },
			wantErr: "no older published version",
		},
		{
			name:    "missing version",
			req:     Restore{ToVersion: "9"},
			wantErr: "version 9 of function orders-api",
		},
		{
			name: "alias moved by someone else before the write: left alone",
			setup: func(f *fakeAWS) {
				f.setAlias("live", "4", nil)
				f.beforeUpdate = func(int, AliasUpdate) error { f.setAlias("live", "2", nil); return nil }
			},
			wantErr: "changed outside this release",
		},
		{
			name: "alarm still firing after the move is reported",
			setup: func(f *fakeAWS) {
				f.setAlias("live", "4", nil)
				f.alarms["orders-errors"] = always("ALARM")
			},
			req:       Restore{Alarms: []string{"orders-errors"}},
			wantTo:    "3",
			wantMoved: true,
			wantWas:   "4 with no weights",
			wantAlarm: "orders-errors",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.setup != nil {
				tt.setup(h.aws)
			}
			req := tt.req
			req.Function, req.Alias = fnName, "live"
			got, err := h.engine.Restore(context.Background(), req)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.To != tt.wantTo || got.Moved != tt.wantMoved || got.Was != tt.wantWas {
				t.Fatalf("got To=%s Moved=%v Was=%q, want %s %v %q", got.To, got.Moved, got.Was, tt.wantTo, tt.wantMoved, tt.wantWas)
			}
			h.wantAlias(tt.wantTo, nil)
			if !tt.wantMoved && h.aws.writes != 0 {
				t.Fatalf("%d alias writes, want none", h.aws.writes)
			}
			if tt.wantAlarm != "" {
				a := got.Alarms
				if a == nil {
					t.Fatal("no alarm check")
				}
				text := a.Summary
				for _, s := range a.Firing {
					text += " firing " + s.Name
				}
				if !strings.Contains(text, tt.wantAlarm) {
					t.Fatalf("alarm check %q, want %q", text, tt.wantAlarm)
				}
			}
		})
	}
}

func TestRestore_missingAlias(t *testing.T) {
	h := newHarness(t)
	_, err := h.engine.Restore(context.Background(), Restore{Function: fnName, Alias: "gone"})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}
