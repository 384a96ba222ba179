"""The socket options `Socket` has as attributes (``s.linger = 0``), typed.

`Socket` gets one property per `SocketOption` name below its class, made in a
loop that a type checker cannot follow. This class spells them out for type
checkers only: socket.py imports it under ``TYPE_CHECKING`` as its base, so
at run time `Socket` derives from ``object`` as before.
tests/compat/test_socket_api.py checks the two lists stay the same.
"""

from __future__ import annotations

# The read-only options are properties with a `...` body: never run, since
# nothing imports this module at run time.
# mypy: disable-error-code="empty-body"


class SocketOptionAttributes:
    affinity: int
    routing_id: bytes
    rate: int
    recovery_ivl: int
    sndbuf: int
    rcvbuf: int
    linger: int
    reconnect_ivl: int
    backlog: int
    reconnect_ivl_max: int
    maxmsgsize: int
    sndhwm: int
    rcvhwm: int
    multicast_hops: int
    rcvtimeo: int
    sndtimeo: int
    router_mandatory: int
    tcp_keepalive: int
    tcp_keepalive_cnt: int
    tcp_keepalive_idle: int
    tcp_keepalive_intvl: int
    immediate: int
    xpub_verbose: int
    router_raw: int
    ipv6: int
    plain_server: int
    plain_username: bytes
    plain_password: bytes
    curve_server: int
    curve_publickey: bytes
    curve_secretkey: bytes
    curve_serverkey: bytes
    probe_router: int
    req_correlate: int
    req_relaxed: int
    conflate: int
    zap_domain: bytes
    router_handover: int
    tos: int
    connect_routing_id: bytes
    gssapi_server: int
    gssapi_principal: bytes
    gssapi_service_principal: bytes
    gssapi_plaintext: int
    handshake_ivl: int
    socks_proxy: bytes
    xpub_nodrop: int
    blocky: int
    xpub_manual: int
    xpub_welcome_msg: bytes
    stream_notify: int
    invert_matching: int
    heartbeat_ivl: int
    heartbeat_ttl: int
    heartbeat_timeout: int
    xpub_verboser: int
    connect_timeout: int
    tcp_maxrt: int
    multicast_maxtpdu: int
    vmci_buffer_size: int
    vmci_buffer_min_size: int
    vmci_buffer_max_size: int
    vmci_connect_timeout: int
    use_fd: int
    gssapi_principal_nametype: int
    gssapi_service_principal_nametype: int
    bindtodevice: bytes
    identity: bytes  # alias of routing_id
    connect_rid: bytes  # alias of connect_routing_id
    tcp_accept_filter: bytes
    ipc_filter_pid: int
    ipc_filter_uid: int
    ipc_filter_gid: int
    ipv4only: int
    delay_attach_on_connect: int  # alias of immediate
    fail_unroutable: int  # alias of router_mandatory
    router_behavior: int  # alias of router_mandatory
    zap_enforce_domain: int
    loopback_fastpath: int
    metadata: bytes
    multicast_loop: int
    router_notify: int
    xpub_manual_last_value: int
    socks_username: bytes
    socks_password: bytes
    in_batch_size: int
    out_batch_size: int
    wss_key_pem: bytes
    wss_cert_pem: bytes
    wss_trust_pem: bytes
    wss_hostname: bytes
    wss_trust_system: int
    only_first_subscribe: int
    reconnect_stop: int
    hello_msg: bytes
    disconnect_msg: bytes
    priority: int
    busy_poll: int
    hiccup_msg: bytes
    xsub_verbose_unsubscribe: int
    norm_mode: int
    norm_unicast_nack: int
    norm_buffer_size: int
    norm_segment_size: int
    norm_block_size: int
    norm_num_parity: int
    norm_num_autoparity: int
    norm_push: int

    @property
    def rcvmore(self) -> int: ...

    @property
    def fd(self) -> int: ...

    @property
    def events(self) -> int: ...

    @property
    def last_endpoint(self) -> bytes: ...

    @property
    def mechanism(self) -> int: ...

    @property
    def thread_safe(self) -> int: ...

    @property
    def topics_count(self) -> int: ...
