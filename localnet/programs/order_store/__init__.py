"""The OrderStore program: the persistent per-market settlement queue of MatchedOrders."""
