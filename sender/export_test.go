package sender

// Internals the external tests reach.
var EscapeQuery = escapeQuery

const MaxCapture = maxCapture
