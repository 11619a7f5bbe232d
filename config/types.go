// Package config loads, validates and saves langgraph.json, resolves the
// webhook header templates and decides whether a webhook URL is allowed.
//
// The platform behaviour it reproduces:
//
// Header templates. A value of webhooks.headers may mix literal text with
// any number of ${{ env.NAME }} templates (spaces inside the braces are
// optional). NAME must start with webhooks.env_prefix (LG_WEBHOOK_ by
// default; "" turns the check off) and must be set in the environment,
// where the file's own `env` (an object, or a .env file) fills in what the
// process does not set. Values that come from templates are secrets: shown
// masked (the first four characters, then …) and never stored. Any error
// stops the server from starting.
//
// The URL policy runs these checks in order, and the first failure wins:
// length (max_url_length), loopback (a relative URL starting with "/" is
// refused only by disable_loopback, and otherwise dispatched in-process),
// https (require_https), port (allowed_ports; 443 for https, else 80),
// hostname (not empty), domain (allowed_domains: "*.example.com" matches
// any depth of subdomain, not example.com itself; other entries match
// exactly, case-insensitively), and address (the resolved addresses: with
// disable_loopback, loopback ones; with disable_private_ips, private,
// link-local, CGNAT and unique-local ones; cloud metadata addresses
// always). Without a webhooks.url object the defaults are require_https
// false, max_url_length 4096, disable_loopback true; with one, omitted
// fields take require_https true, max_url_length 2048, disable_loopback
// false. Neither limits domains or ports. Every decision records, check by
// check, the value in force and where it came from.
package config

// Rule names of the URL policy checks, in the order they run.
const (
	RuleLength   = "length"
	RuleLoopback = "loopback"
	RuleHTTPS    = "https"
	RulePort     = "port"
	RuleHostname = "hostname"
	RuleDomain   = "domain"
	RuleAddress  = "address"
)

// Sources of a policy value.
const (
	SourceExplicit       = "explicit"                       // set in langgraph.json
	SourceDefaultAbsent  = "default (webhooks.url absent)"  // platform default, no webhooks.url object
	SourceDefaultPresent = "default (webhooks.url present)" // schema default, webhooks.url object present
	SourceAlways         = "always"                         // no setting controls it (the hostname check)
	SourceEmbedded       = "embedded default"               // set by hooklab's embedded default config, not by a file
)

// Check is one step of a policy decision.
type Check struct {
	Rule   string `json:"rule"`
	Passed bool   `json:"passed"`
	Value  any    `json:"value"`
	Source string `json:"source"`
	Detail string `json:"detail,omitempty"`
}

// Decision is the outcome of the URL policy for one URL. Checks lists the
// checks that ran, in order, up to and including the one that failed:
// Rule, Message and Hint are that first failure, the one the platform
// reports. An explained decision (Policy.Explain) also carries every
// failure and the checks the platform would not have run.
type Decision struct {
	URL      string  `json:"url"`
	Allowed  bool    `json:"allowed"`
	Rule     string  `json:"rule"`
	Message  string  `json:"message"`
	Hint     string  `json:"hint,omitempty"`
	Relative bool    `json:"relative,omitempty"`
	Checks   []Check `json:"checks"`
	// Failed lists every failing check in order (Explain only); the first
	// is the platform's (Reported) and repeats Rule and Message.
	Failed []Failure `json:"failed,omitempty"`
	// Rest are the checks after the first failure (Explain only).
	Rest []Check `json:"rest,omitempty"`
	// AddressNotRun says the address check was skipped: the test was
	// offline and the host is a name that would have to be resolved. The
	// address check is then listed as passed, its detail saying "not run".
	AddressNotRun bool `json:"address_not_run,omitempty"`
}

// Header is one configured webhook header, as written in langgraph.json.
type Header struct {
	Name     string `json:"name"`
	Template string `json:"template"`
}

// ResolvedHeader is a header with its templates filled in from the environment.
// Value is a secret when Secret is true (it came from a template): it must
// never be stored, logged or published; use Masked instead.
type ResolvedHeader struct {
	Name   string `json:"name"`
	Value  string `json:"-"`
	Masked string `json:"value"`
	Secret bool   `json:"secret"`
}

// File is a parsed langgraph.json. Keys hooklab does not manage are kept
// verbatim, in their original order, so Save writes them back untouched.
type File struct {
	// Path is where the file was read from; "" for the embedded default.
	Path string `json:"path"`
	// Embedded is true for the built-in default config.
	Embedded bool `json:"embedded"`
	// Graphs lists the graph ids in file order.
	Graphs []string `json:"graphs"`
	// Env is the `env` key resolved to variables (a map, or the parsed .env file).
	Env map[string]string `json:"-"`
	// EnvFile is the .env file `env` named, resolved against the file's
	// directory; "" when `env` is absent or an object.
	EnvFile string `json:"env_file,omitempty"`
	// HTTP is the `http` key (only disable_webhooks matters here).
	HTTP HTTP `json:"http"`
	// Webhooks is the `webhooks` key.
	Webhooks Webhooks `json:"webhooks"`
	// Warnings lists what is taken but probably not meant: keys under
	// webhooks or http.cors that hooklab does not know (the platform
	// ignores them too), usually a typo, a CORS block that exposes no
	// header, and allowed origins no browser sends. Worth showing the user.
	Warnings []string `json:"warnings,omitempty"`

	raw  rawDoc // every top-level key, in order, for save-back
	disk []byte // the file's bytes as loaded or last saved; nil when not read from a file
}

// HTTP holds the part of langgraph.json's `http` key hooklab uses.
type HTTP struct {
	DisableWebhooks bool `json:"disable_webhooks"`
}

// Webhooks is the `webhooks` key of langgraph.json. Pointer fields are nil
// when the key is absent, so defaults and their sources can be told apart.
type Webhooks struct {
	EnvPrefix     *string     `json:"env_prefix,omitempty"`
	Headers       []Header    `json:"headers,omitempty"`
	AllowedFields []string    `json:"allowed_fields,omitempty"`
	URL           *URLOptions `json:"url,omitempty"`
}

// URLOptions is `webhooks.url`. Nil fields were omitted in the file.
type URLOptions struct {
	AllowedDomains    []string `json:"allowed_domains,omitempty"`
	RequireHTTPS      *bool    `json:"require_https,omitempty"`
	AllowedPorts      []int    `json:"allowed_ports,omitempty"`
	DisableLoopback   *bool    `json:"disable_loopback,omitempty"`
	DisablePrivateIPs *bool    `json:"disable_private_ips,omitempty"`
	MaxURLLength      *int     `json:"max_url_length,omitempty"`
}

// Setting is a policy value in force together with where it came from.
type Setting[T any] struct {
	Value  T      `json:"value"`
	Source string `json:"source"`
}

// Policy is the effective URL policy: every value in force and its source.
type Policy struct {
	MaxURLLength      Setting[int]      `json:"max_url_length"`
	DisableLoopback   Setting[bool]     `json:"disable_loopback"`
	RequireHTTPS      Setting[bool]     `json:"require_https"`
	AllowedPorts      Setting[[]int]    `json:"allowed_ports"`
	AllowedDomains    Setting[[]string] `json:"allowed_domains"`
	DisablePrivateIPs Setting[bool]     `json:"disable_private_ips"`
}

// Runtime is the resolved, immutable configuration the server and sender use.
// A live edit builds a new Runtime and swaps it in whole.
type Runtime struct {
	File            *File            `json:"file"`
	Policy          Policy           `json:"policy"`
	Headers         []ResolvedHeader `json:"headers"`
	AllowedFields   []string         `json:"allowed_fields,omitempty"`
	DisableWebhooks bool             `json:"disable_webhooks"`
	// Problem is set while File.Path on disk does not load (a reload or
	// a save found it broken): this config stays in force until it is
	// fixed. A dashboard shows it as a banner.
	Problem *Problem `json:"problem,omitempty"`
}
