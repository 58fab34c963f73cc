"""`anomi localnet up --mxe-nodes N`: N node processes, each its own process and port; sizes
below 3 refused; the cluster's status URL is advertised with the other services."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

from localnet.mxe import cluster as mxe_cluster
from protocol import arcium_codec as ac
from protocol import otc_codec as otc
from tests.integration.localnet_process import REPO_ROOT, start_localnet
from tests.integration.mxe_process import CODE
from tests.integration.otc_rpc_harness import OtcRpc
from tests.unit.otc_bank_harness import Party


def test_four_node_cluster_runs_seed_003_and_reports_status(tmp_path):
    node = start_localnet(tmp_path / "ledger", extra_args=("--mxe-nodes", "4"))
    h = OtcRpc(node.rpc_url, node.ws_url, node.usdc_mint)
    try:
        cfg = mxe_cluster.load(node.ledger_dir)
        assert len(cfg.nodes) == 4 and cfg.required_signatures == 4
        assert len({n.port for n in cfg.nodes}) == 4
        on_chain = ac.decode_cluster(h.rpc.account_data(otc.OTC_ARCIUM.cluster))
        assert on_chain["node_count"] == 4
        status_url = next(line.split("status=")[1].split()[0] for line in node.output if "mxe: ready" in line)
        with urllib.request.urlopen(status_url, timeout=10) as resp:
            status = json.loads(resp.read())
        assert (status["up"], status["total"]) == (4, 4)
        # wallets find it through the cluster's service list (what "MXE cluster: k of N nodes up" reads)
        assert h.rpc.call("anomi_clusterInfo")["services"]["mxe"] == status_url
        creator, offeror = Party(), Party()
        h.fund(creator, offeror)
        deal, err = h.create_deal(creator, 500, otc.PRICE_ONE)
        assert err is None
        h.events.wait("DealCreated", lambda f: f["deal"] == deal)
        offer, err, _ = h.submit_offer(offeror, deal, otc.PRICE_ONE, 500)
        assert err is None
        _, ev = h.events.wait("OfferCreated", lambda f: f["offer"] == offer)
        assert h.open_sealed(ev, 2, offeror, otc.OFFER_CREATED_BLOB) == [otc.PRICE_ONE, 500]
    finally:
        h.close()
        node.stop()


def test_fewer_than_three_nodes_refused(tmp_path):
    res = subprocess.run([sys.executable, "-c", CODE, "localnet", "up", "--ledger", str(tmp_path / "l"),
                          "--mxe-nodes", "2", "--rpc-port", "0"], cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=60, check=False)
    assert res.returncode != 0 and "at least 3" in res.stderr
