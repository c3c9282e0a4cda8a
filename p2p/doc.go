// Package p2p is Lockstep's network layer on libp2p. A node's secp256k1 key is at once
// its libp2p identity (its peer ID) and its Ethereum address, so a peer ID names an
// address without any further claim (identity.go). Host starts a libp2p host with TCP and
// QUIC, Noise and yamux, a resource manager with explicit limits, a connection manager,
// and no NAT port mapping unless asked (host.go). JoinSwarm joins a swarm's gossipsub
// topic: strictly signed messages in a versioned envelope, a validator that refuses
// oversized, malformed, foreign-swarm, out-of-window, spoofed and replayed messages before
// they are relayed, and peer scoring that counts each refusal against its sender
// (gossip.go). Blobs moves bulk data over streams: content-addressed blobs in hashed
// chunks, a manifest checked against the blob ID before any chunk is asked for, a lying
// peer caught at its first bad chunk and dropped, per-peer limits on what a node serves
// (requests at once, bytes per window; over them a peer is answered busy and asks
// another holder), a cap a fetch can set on a blob's size before any chunk, and a zstd
// decoder that refuses a compression bomb at its cap (blobs.go).
//
// StartDiscovery joins through bootstrap addresses and finds peers' addresses in a
// Kademlia DHT under /lockstep that holds no values; StartMDNS, an option, finds and
// connects to a swarm's nodes on the local network. Membership comes only from signed
// gossip (discovery.go).
package p2p
