"""placeholder"""
from hub.sdk.outbound import Encoder
class ElmoOutbound(Encoder):
    name = "elmo"
    media_type = "application/xml"
    format_version = "EMREX ELMO 1.7"
    def encode(self, event): raise NotImplementedError
