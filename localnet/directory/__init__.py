"""The payee directory: cluster-side infrastructure that reveals a matched order's payee handle
to that order's buyer only (protocol in protocol/payee_directory.py).

Why in localnet and not in the wallet: like the fiat rail it must be up while the seller is
offline, so it runs next to the cluster (`anomi localnet up` starts it; `anomi directory up`
runs it alone) and every wallet is only a client. It reads MatchedOrders over JSON-RPC like any
client, so it can serve any cluster it is pointed at.
"""
