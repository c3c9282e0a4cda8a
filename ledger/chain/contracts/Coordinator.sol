// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

/// @title Lockstep's coordinator: nodes, swarms, rounds and disputes.
/// @notice A node registers from its own account, with the public key that is also its
/// libp2p peer ID, so the transaction's signature proves the binding. A swarm is a task
/// (module, data and configuration hashes) with a stake each member puts down and a
/// reward per round. Members commit one state root per round and vote for the round's
/// best peer (as in RL Swarm); the most-voted member takes the round's reward. A member
/// disputes another's commitment with a bond; referees (members of the swarm who are not
/// parties) sign the ruling, and a quorum of signatures settles it: the loser's stake or
/// bond goes to the winner. An accused who does not answer by the deadline loses.
/// Payments are credited and withdrawn (pull payments), never sent during a ruling.
contract Coordinator {
    // ---------------------------------------------------------------- nodes

    struct NodeInfo {
        address account;
        bytes peerId;
        string[] addrs;
        bool bootnode;
        uint64 registered; // block
    }

    uint256 public constant MAX_ADDRS = 8;
    uint256 public constant MAX_ADDR_BYTES = 256;

    mapping(address => NodeInfo) private nodes_;
    address[] private nodeList_;
    /// @notice The account that registered a peer ID, by keccak256 of the peer ID.
    mapping(bytes32 => address) public accountOfPeer;

    event Registered(address indexed account, bytes peerId, string[] addrs, bool bootnode);

    /// @notice Registers (or updates the addresses of) the sender's node. pubkey is the
    /// uncompressed secp256k1 key without its 0x04 prefix: its keccak256 must give the
    /// sender's address, and peerId must be the libp2p peer ID of the same key.
    function register(bytes calldata peerId, bytes calldata pubkey, string[] calldata addrs, bool bootnode) external {
        require(pubkey.length == 64, "public key must be 64 bytes (x, y)");
        require(address(uint160(uint256(keccak256(pubkey)))) == msg.sender, "public key is not the sender's");
        require(keccak256(peerId) == keccak256(peerIdOf(pubkey)), "peer ID is not the sender's key");
        require(addrs.length <= MAX_ADDRS, "too many addresses");
        NodeInfo storage n = nodes_[msg.sender];
        if (n.registered == 0) {
            n.account = msg.sender;
            n.peerId = peerId;
            n.registered = uint64(block.number);
            nodeList_.push(msg.sender);
            accountOfPeer[keccak256(peerId)] = msg.sender;
        }
        delete n.addrs;
        for (uint256 i = 0; i < addrs.length; i++) {
            require(bytes(addrs[i]).length <= MAX_ADDR_BYTES, "address too long");
            n.addrs.push(addrs[i]);
        }
        n.bootnode = bootnode;
        emit Registered(msg.sender, peerId, addrs, bootnode);
    }

    /// @notice The libp2p peer ID of a secp256k1 key: an identity multihash of the
    /// protobuf-encoded compressed key (type 2, 33 bytes).
    function peerIdOf(bytes calldata pubkey) public pure returns (bytes memory) {
        require(pubkey.length == 64, "public key must be 64 bytes (x, y)");
        bytes1 prefix = uint8(pubkey[63]) & 1 == 1 ? bytes1(0x03) : bytes1(0x02);
        return abi.encodePacked(hex"002508021221", prefix, pubkey[0:32]);
    }

    function nodeCount() external view returns (uint256) {
        return nodeList_.length;
    }

    /// @notice Registered nodes from offset, at most limit of them.
    function nodes(uint256 offset, uint256 limit) external view returns (NodeInfo[] memory out) {
        uint256 end = offset + limit;
        if (end > nodeList_.length) end = nodeList_.length;
        if (offset > end) offset = end;
        out = new NodeInfo[](end - offset);
        for (uint256 i = offset; i < end; i++) out[i - offset] = nodes_[nodeList_[i]];
    }

    function nodeInfo(address account) external view returns (NodeInfo memory) {
        return nodes_[account];
    }

    // ---------------------------------------------------------------- swarms

    struct Spec {
        bytes32 module; // sha256 of the task module
        bytes32 data; // hash of its data inputs
        bytes32 config; // hash of the swarm's configuration
        uint256 stake; // wei each member puts down; also the least bond of a dispute
        uint256 reward; // wei per round to its most-voted member, from the pool
        uint64 voteBlocks; // blocks after a round's first commitment that votes are taken
        uint64 answerBlocks; // blocks an accused has to answer a dispute
        uint64 ruleBlocks; // blocks after that for the referees' ruling
        uint8 quorum; // referee signatures that settle a dispute
    }

    struct SwarmInfo {
        bytes32 id;
        Spec spec;
        address creator;
        uint64 created; // block
        uint256 pool; // reward funds not yet paid
        uint32 members;
        uint64 lastRound; // the highest round committed to
    }

    struct Member {
        uint256 stake;
        uint64 joined; // block
        uint64 unbondAt; // block from which a member that left may withdraw its stake
        uint32 open; // open disputes against it
        bool active;
        uint64 lastCommit; // block of its newest commitment
    }

    /// @notice The most blocks a swarm's deadline may be (about 139 days of 12 s blocks).
    uint64 public constant MAX_DEADLINE_BLOCKS = 1_000_000;

    mapping(bytes32 => SwarmInfo) private swarms_;
    bytes32[] private swarmList_;
    mapping(bytes32 => mapping(address => Member)) private members_;
    /// @notice Wei each account may withdraw: stakes returned, rewards and winnings.
    mapping(address => uint256) public credit;

    event SwarmCreated(bytes32 indexed id, address indexed creator, Spec spec);
    event Joined(bytes32 indexed id, address indexed member, uint256 stake);
    event Left(bytes32 indexed id, address indexed member, uint64 unbondAt);

    /// @notice A swarm's ID: its whole spec, economics and deadlines included, so that
    /// nobody can take a task's swarm first with a stake or a quorum of their own choosing.
    function swarmId(Spec calldata s) public pure returns (bytes32) {
        return keccak256(abi.encode(s));
    }

    function createSwarm(Spec calldata s) external payable returns (bytes32 id) {
        require(nodes_[msg.sender].registered != 0, "sender is not a registered node");
        require(s.quorum >= 1, "quorum must be at least 1");
        require(s.voteBlocks > 0 && s.answerBlocks > 0 && s.ruleBlocks > 0, "deadlines must be at least one block");
        require(
            s.voteBlocks <= MAX_DEADLINE_BLOCKS && s.answerBlocks <= MAX_DEADLINE_BLOCKS && s.ruleBlocks <= MAX_DEADLINE_BLOCKS,
            "a deadline is longer than MAX_DEADLINE_BLOCKS"
        );
        id = swarmId(s);
        require(swarms_[id].created == 0, "swarm exists");
        SwarmInfo storage w = swarms_[id];
        w.id = id;
        w.spec = s;
        w.creator = msg.sender;
        w.created = uint64(block.number);
        w.pool = msg.value;
        swarmList_.push(id);
        emit SwarmCreated(id, msg.sender, s);
    }

    /// @notice Adds to a swarm's reward pool.
    function fund(bytes32 id) external payable {
        require(swarms_[id].created != 0, "no such swarm");
        swarms_[id].pool += msg.value;
    }

    function join(bytes32 id) external payable {
        SwarmInfo storage w = swarms_[id];
        require(w.created != 0, "no such swarm");
        require(nodes_[msg.sender].registered != 0, "sender is not a registered node");
        Member storage m = members_[id][msg.sender];
        require(!m.active, "already a member");
        require(m.stake + msg.value >= w.spec.stake, "stake below the swarm's");
        m.stake += msg.value;
        m.active = true;
        m.joined = uint64(block.number);
        m.unbondAt = 0;
        w.members++;
        emit Joined(id, msg.sender, m.stake);
    }

    /// @notice Leaves a swarm. The stake stays answerable to disputes until unbondAt: the
    /// dispute windows after leaving or after the member's last commitment, the later.
    function leaveSwarm(bytes32 id) external {
        SwarmInfo storage w = swarms_[id];
        Member storage m = members_[id][msg.sender];
        require(m.active, "not a member");
        m.active = false;
        uint64 from = m.lastCommit > block.number ? m.lastCommit : uint64(block.number);
        m.unbondAt = from + w.spec.answerBlocks + w.spec.ruleBlocks;
        w.members--;
        emit Left(id, msg.sender, m.unbondAt);
    }

    /// @notice Moves a former member's stake to its credit once unbonded and undisputed.
    function unstake(bytes32 id) external {
        Member storage m = members_[id][msg.sender];
        require(!m.active, "still a member: leave first");
        require(m.stake > 0, "no stake");
        require(m.open == 0, "disputes are open against this member");
        require(block.number >= m.unbondAt, "stake is still bonded");
        credit[msg.sender] += m.stake;
        m.stake = 0;
    }

    function withdraw() external {
        uint256 amount = credit[msg.sender];
        require(amount > 0, "nothing to withdraw");
        credit[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        require(ok, "transfer failed");
    }

    function swarmCount() external view returns (uint256) {
        return swarmList_.length;
    }

    function swarmAt(uint256 i) external view returns (SwarmInfo memory) {
        return swarms_[swarmList_[i]];
    }

    function swarmInfo(bytes32 id) external view returns (SwarmInfo memory) {
        return swarms_[id];
    }

    function memberInfo(bytes32 id, address account) external view returns (Member memory) {
        return members_[id][account];
    }

    // ---------------------------------------------------------------- rounds

    struct RoundInfo {
        uint64 opened; // block of its first commitment
        uint32 commits;
        address leader; // the most-voted member (the first to reach the count)
        uint32 leaderVotes;
        bool paid;
    }

    mapping(bytes32 => mapping(uint64 => RoundInfo)) private rounds_;
    mapping(bytes32 => mapping(uint64 => mapping(address => bytes32))) private roots_;
    mapping(bytes32 => mapping(uint64 => mapping(address => uint32))) private votes_;
    mapping(bytes32 => mapping(uint64 => mapping(address => address))) private votedFor_;
    /// @notice Rounds won (and paid) by each member of each swarm.
    mapping(bytes32 => mapping(address => uint64)) public wins;

    event Committed(bytes32 indexed id, uint64 indexed round, address indexed member, bytes32 root);
    event Voted(bytes32 indexed id, uint64 indexed round, address indexed voter, address winner);
    event RewardPaid(bytes32 indexed id, uint64 indexed round, address indexed winner, uint256 amount);

    /// @notice Commits the sender's state root for a round (for a solo run, the round is
    /// the step). One commitment per member per round: a second is refused. A round may
    /// be at most one past the swarm's newest, so nobody opens (and starts the voting
    /// clock of) rounds far ahead.
    function commit(bytes32 id, uint64 rnd, bytes32 root) external {
        Member storage m = members_[id][msg.sender];
        require(m.active, "not a member of the swarm");
        require(root != bytes32(0), "zero root");
        require(rnd <= swarms_[id].lastRound + 1, "the round is ahead of the swarm");
        require(roots_[id][rnd][msg.sender] == bytes32(0), "already committed for this round");
        roots_[id][rnd][msg.sender] = root;
        m.lastCommit = uint64(block.number);
        RoundInfo storage r = rounds_[id][rnd];
        if (r.opened == 0) r.opened = uint64(block.number);
        r.commits++;
        SwarmInfo storage w = swarms_[id];
        if (rnd > w.lastRound) w.lastRound = rnd;
        emit Committed(id, rnd, msg.sender, root);
    }

    /// @notice Votes for the round's best peer. The voter must have committed for the
    /// round, votes once, and not for itself.
    function vote(bytes32 id, uint64 rnd, address winner) external {
        require(members_[id][msg.sender].active, "not a member of the swarm");
        require(roots_[id][rnd][msg.sender] != bytes32(0), "commit for the round before voting");
        require(winner != msg.sender, "a member cannot vote for itself");
        require(members_[id][winner].active, "the winner is not a member of the swarm");
        require(roots_[id][rnd][winner] != bytes32(0), "the winner has no commitment for the round");
        require(votedFor_[id][rnd][msg.sender] == address(0), "already voted for this round");
        RoundInfo storage r = rounds_[id][rnd];
        require(block.number <= r.opened + swarms_[id].spec.voteBlocks, "voting for the round has closed");
        votedFor_[id][rnd][msg.sender] = winner;
        uint32 v = ++votes_[id][rnd][winner];
        if (v > r.leaderVotes) {
            r.leader = winner;
            r.leaderVotes = v;
        }
        emit Voted(id, rnd, msg.sender, winner);
    }

    /// @notice Pays a closed round's reward to its most-voted member (anyone may call).
    function claimReward(bytes32 id, uint64 rnd) external {
        SwarmInfo storage w = swarms_[id];
        RoundInfo storage r = rounds_[id][rnd];
        require(r.opened != 0, "no such round");
        require(block.number > r.opened + w.spec.voteBlocks, "voting for the round is still open");
        require(!r.paid, "already paid");
        require(r.leader != address(0), "the round has no votes");
        r.paid = true;
        require(r.commits >= 3, "a round needs three commitments for a reward");
        require(members_[id][r.leader].open == 0, "the round's winner is disputed: claim once it is settled");
        if (!members_[id][r.leader].active) {
            // Slashed (or gone) since: the reward stays in the pool.
            emit RewardPaid(id, rnd, r.leader, 0);
            return;
        }
        uint256 amount = w.spec.reward < w.pool ? w.spec.reward : w.pool;
        w.pool -= amount;
        credit[r.leader] += amount;
        wins[id][r.leader]++;
        emit RewardPaid(id, rnd, r.leader, amount);
    }

    function roundInfo(bytes32 id, uint64 r) external view returns (RoundInfo memory) {
        return rounds_[id][r];
    }

    function rootOf(bytes32 id, uint64 r, address account) external view returns (bytes32) {
        return roots_[id][r][account];
    }

    function votesOf(bytes32 id, uint64 r, address account) external view returns (uint32) {
        return votes_[id][r][account];
    }

    // ---------------------------------------------------------------- disputes

    enum State {
        None,
        Open, // waiting for the accused's answer and the ruling
        Answered, // the accused answered: waiting for the ruling
        AccusedLost,
        ChallengerLost,
        Void // answered, but no ruling by the deadline: bond returned, nothing slashed
    }

    struct Dispute {
        uint256 id;
        bytes32 swarm;
        uint64 round;
        address challenger;
        address accused;
        bytes32 root; // the accused's commitment
        bytes32 evidence; // the challenger's: the root it computed instead
        uint256 bond;
        uint64 answerBy; // block
        uint64 ruleBy; // block
        State state;
        bytes32 ruling; // hash of the ruling file
        uint256 paid; // to the winner, bond included
    }

    Dispute[] private disputes_;
    /// @notice Whether a referee has signed dispute d's ruling (each counts once).
    mapping(uint256 => mapping(address => bool)) public signed;
    /// @notice Signatures so far for a dispute's outcome and ruling file, by
    /// keccak256(abi.encode(d, accusedLost, ruling)).
    mapping(bytes32 => uint32) public tally;
    /// @notice A dispute's ID (1-based) by keccak256(abi.encode(swarm, round, accused, challenger)).
    mapping(bytes32 => uint256) public disputeOf;

    event DisputeOpened(uint256 indexed dispute, bytes32 indexed id, uint64 round, address indexed accused, address challenger, bytes32 evidence);
    event DisputeAnswered(uint256 indexed dispute);
    event DisputeSettled(uint256 indexed dispute, State state, bytes32 ruling, address winner, uint256 paid);

    /// @notice Disputes accused's commitment for round, with a bond of at least the
    /// swarm's stake. evidence is what the challenger computed instead.
    function openDispute(bytes32 id, uint64 rnd, address accused, bytes32 evidence) external payable returns (uint256 d) {
        SwarmInfo storage w = swarms_[id];
        require(members_[id][msg.sender].active, "not a member of the swarm");
        require(accused != msg.sender, "a member cannot dispute itself");
        bytes32 root = roots_[id][rnd][accused];
        require(root != bytes32(0), "the accused has no commitment for the round");
        require(evidence != root, "the evidence is the accused's own root");
        require(msg.value >= w.spec.stake, "bond below the swarm's stake");
        bytes32 k = keccak256(abi.encode(id, rnd, accused, msg.sender));
        require(disputeOf[k] == 0, "already disputed");
        Member storage a = members_[id][accused];
        require(a.stake > 0, "the accused has no stake");
        a.open++;
        d = disputes_.length + 1;
        uint64 answerBy = uint64(block.number) + w.spec.answerBlocks;
        disputes_.push(Dispute({
            id: d, swarm: id, round: rnd, challenger: msg.sender, accused: accused, root: root, evidence: evidence,
            bond: msg.value, answerBy: answerBy, ruleBy: answerBy + w.spec.ruleBlocks, state: State.Open,
            ruling: bytes32(0), paid: 0
        }));
        disputeOf[k] = d;
        emit DisputeOpened(d, id, rnd, accused, msg.sender, evidence);
    }

    /// @notice The accused answers: it will play the dispute game.
    function answer(uint256 d) external {
        Dispute storage x = dispute_(d);
        require(msg.sender == x.accused, "only the accused answers");
        require(x.state == State.Open, "the dispute is not open");
        require(block.number <= x.answerBy, "the answer deadline has passed");
        x.state = State.Answered;
        emit DisputeAnswered(d);
    }

    /// @notice The digest referees sign (EIP-191 personal message of it): bound to this
    /// chain, this contract and this dispute's every particular (swarm, round, parties,
    /// roots), so a signature cannot be replayed on another dispute, even one that has
    /// the same number on another development chain.
    function rulingDigest(uint256 d, bool accusedLost, bytes32 ruling) public view returns (bytes32) {
        Dispute storage x = dispute_(d);
        return keccak256(
            abi.encode(
                "lockstep ruling v2", block.chainid, address(this), d, x.swarm, x.round, x.challenger, x.accused,
                x.root, x.evidence, accusedLost, ruling
            )
        );
    }

    /// @notice The signatures a dispute's ruling needs: the swarm's quorum, and more than
    /// half of the members who committed for the disputed round, the parties left out.
    function rulingThreshold(uint256 d) public view returns (uint32) {
        Dispute storage x = dispute_(d);
        uint32 commits = rounds_[x.swarm][x.round].commits;
        uint32 others = commits > 2 ? commits - 2 : 0;
        uint32 majority = others / 2 + 1;
        uint32 q = swarms_[x.swarm].spec.quorum;
        return majority > q ? majority : q;
    }

    /// @notice Adds referees' signatures to a dispute's ruling; once they reach
    /// rulingThreshold for one outcome and ruling file, the dispute is settled. A referee
    /// is an active member of the swarm who committed for the disputed round and is not a
    /// party; each counts once, across calls (signatures in increasing signer order).
    /// Anyone may submit signatures, and referees may submit theirs one at a time.
    function rule(uint256 d, bool accusedLost, bytes32 ruling, bytes[] calldata sigs) external {
        Dispute storage x = dispute_(d);
        require(x.state == State.Open || x.state == State.Answered, "the dispute is settled");
        require(block.number <= x.ruleBy, "the ruling deadline has passed");
        require(sigs.length > 0, "no signatures");
        bytes32 h = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", rulingDigest(d, accusedLost, ruling)));
        address last = address(0);
        for (uint256 i = 0; i < sigs.length; i++) {
            address s = recover(h, sigs[i]);
            require(s > last, "signatures must be of distinct referees, in increasing address order");
            last = s;
            require(s != x.accused && s != x.challenger, "a party cannot referee its dispute");
            require(members_[x.swarm][s].active, "a signer is not a member of the swarm");
            require(roots_[x.swarm][x.round][s] != bytes32(0), "a signer did not commit for the disputed round");
            require(!signed[d][s], "a referee has signed this dispute already");
            signed[d][s] = true;
        }
        bytes32 k = keccak256(abi.encode(d, accusedLost, ruling));
        uint32 n = tally[k] + uint32(sigs.length);
        tally[k] = n;
        if (n >= rulingThreshold(d)) {
            x.ruling = ruling;
            settle(x, accusedLost ? State.AccusedLost : State.ChallengerLost);
        }
    }

    /// @notice Ends a dispute past its deadline (anyone may call): an accused that did
    /// not answer loses; an answered dispute with no ruling is void.
    function expire(uint256 d) external {
        Dispute storage x = dispute_(d);
        if (x.state == State.Open) {
            require(block.number > x.answerBy, "the answer deadline has not passed");
            settle(x, State.AccusedLost);
        } else if (x.state == State.Answered) {
            require(block.number > x.ruleBy, "the ruling deadline has not passed");
            settle(x, State.Void);
        } else {
            revert("the dispute is settled");
        }
    }

    function disputeCount() external view returns (uint256) {
        return disputes_.length;
    }

    function disputeInfo(uint256 d) external view returns (Dispute memory) {
        return dispute_(d);
    }

    function dispute_(uint256 d) private view returns (Dispute storage) {
        require(d >= 1 && d <= disputes_.length, "no such dispute");
        return disputes_[d - 1];
    }

    function settle(Dispute storage x, State s) private {
        Member storage a = members_[x.swarm][x.accused];
        a.open--;
        x.state = s;
        address winner;
        uint256 amount = x.bond;
        if (s == State.AccusedLost) {
            winner = x.challenger;
            amount += a.stake;
            a.stake = 0;
            if (a.active) {
                a.active = false;
                swarms_[x.swarm].members--;
            }
        } else if (s == State.ChallengerLost) {
            winner = x.accused;
        } else {
            winner = x.challenger; // void: the bond goes back
        }
        credit[winner] += amount;
        x.paid = amount;
        emit DisputeSettled(x.id, s, x.ruling, winner, amount);
    }

    function recover(bytes32 h, bytes calldata sig) private pure returns (address) {
        require(sig.length == 65, "a signature must be 65 bytes");
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        require(v == 27 || v == 28, "bad signature recovery id");
        require(uint256(s) <= 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0, "malleable signature");
        address a = ecrecover(h, v, r, s);
        require(a != address(0), "bad signature");
        return a;
    }
}
