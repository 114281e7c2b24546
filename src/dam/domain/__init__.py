"""Pure domain rules: asset states, validation of client input, the error tree."""
