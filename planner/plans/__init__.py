"""Injection plans: the editor, the signing gate, and the writes (services) and reads (selectors) behind them."""
