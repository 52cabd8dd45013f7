"""The policy package's public face is what it claims."""
import hub.routing.policy as policy


def test_all_is_exported():
    for name in policy.__all__:
        assert hasattr(policy, name), name
    for name in ("Partner", "Evidence", "Decision", "PolicyEngine", "PseudonymKeys", "load_partners", "subscribed"):
        assert name in policy.__all__
