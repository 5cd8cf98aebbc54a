"""RPC method handlers, one module per area; each exports HANDLERS and PUBLIC."""
