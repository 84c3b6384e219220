"""The SMS door's operations: `inbound` (a gateway delivery: who sent it, what
it says, file it, answer) above `outbound` (queue a message, hand it to the
gateway). Keyword-only functions named `<entity>_<action>`."""
