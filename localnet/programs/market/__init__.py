"""The Market program: order book, USDC escrow, ZK solvency-gated bids, matching."""
