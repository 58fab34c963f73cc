"""The OrderProcessor program: ZK payment-gated settlement of MatchedOrders."""
