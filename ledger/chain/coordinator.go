// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package chain

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// CoordinatorDispute is an auto generated low-level Go binding around an user-defined struct.
type CoordinatorDispute struct {
	Id         *big.Int
	Swarm      [32]byte
	Round      uint64
	Challenger common.Address
	Accused    common.Address
	Root       [32]byte
	Evidence   [32]byte
	Bond       *big.Int
	AnswerBy   uint64
	RuleBy     uint64
	State      uint8
	Ruling     [32]byte
	Paid       *big.Int
}

// CoordinatorMember is an auto generated low-level Go binding around an user-defined struct.
type CoordinatorMember struct {
	Stake      *big.Int
	Joined     uint64
	UnbondAt   uint64
	Open       uint32
	Active     bool
	LastCommit uint64
}

// CoordinatorNodeInfo is an auto generated low-level Go binding around an user-defined struct.
type CoordinatorNodeInfo struct {
	Account    common.Address
	PeerId     []byte
	Addrs      []string
	Bootnode   bool
	Registered uint64
}

// CoordinatorRoundInfo is an auto generated low-level Go binding around an user-defined struct.
type CoordinatorRoundInfo struct {
	Opened      uint64
	Commits     uint32
	Leader      common.Address
	LeaderVotes uint32
	Paid        bool
}

// CoordinatorSpec is an auto generated low-level Go binding around an user-defined struct.
type CoordinatorSpec struct {
	Module       [32]byte
	Data         [32]byte
	Config       [32]byte
	Stake        *big.Int
	Reward       *big.Int
	VoteBlocks   uint64
	AnswerBlocks uint64
	RuleBlocks   uint64
	Quorum       uint8
}

// CoordinatorSwarmInfo is an auto generated low-level Go binding around an user-defined struct.
type CoordinatorSwarmInfo struct {
	Id        [32]byte
	Spec      CoordinatorSpec
	Creator   common.Address
	Created   uint64
	Pool      *big.Int
	Members   uint32
	LastRound uint64
}

// CoordinatorMetaData contains all meta data concerning the Coordinator contract.
var CoordinatorMetaData = bind.MetaData{
	ABI: "[{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"uint64\",\"name\":\"round\",\"type\":\"uint64\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"member\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"root\",\"type\":\"bytes32\"}],\"name\":\"Committed\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"dispute\",\"type\":\"uint256\"}],\"name\":\"DisputeAnswered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"dispute\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"round\",\"type\":\"uint64\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"accused\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"challenger\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"evidence\",\"type\":\"bytes32\"}],\"name\":\"DisputeOpened\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"dispute\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"enumCoordinator.State\",\"name\":\"state\",\"type\":\"uint8\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"ruling\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"winner\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"paid\",\"type\":\"uint256\"}],\"name\":\"DisputeSettled\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"member\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"stake\",\"type\":\"uint256\"}],\"name\":\"Joined\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"member\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"unbondAt\",\"type\":\"uint64\"}],\"name\":\"Left\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes\",\"name\":\"peerId\",\"type\":\"bytes\"},{\"indexed\":false,\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"indexed\":false,\"internalType\":\"bool\",\"name\":\"bootnode\",\"type\":\"bool\"}],\"name\":\"Registered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"uint64\",\"name\":\"round\",\"type\":\"uint64\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"winner\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"RewardPaid\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"creator\",\"type\":\"address\"},{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"module\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"data\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"config\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"stake\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"reward\",\"type\":\"uint256\"},{\"internalType\":\"uint64\",\"name\":\"voteBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"answerBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"ruleBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint8\",\"name\":\"quorum\",\"type\":\"uint8\"}],\"indexed\":false,\"internalType\":\"structCoordinator.Spec\",\"name\":\"spec\",\"type\":\"tuple\"}],\"name\":\"SwarmCreated\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"uint64\",\"name\":\"round\",\"type\":\"uint64\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"voter\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"winner\",\"type\":\"address\"}],\"name\":\"Voted\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"MAX_ADDRS\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"MAX_ADDR_BYTES\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"MAX_DEADLINE_BLOCKS\",\"outputs\":[{\"internalType\":\"uint64\",\"name\":\"\",\"type\":\"uint64\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"name\":\"accountOfPeer\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"d\",\"type\":\"uint256\"}],\"name\":\"answer\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"rnd\",\"type\":\"uint64\"}],\"name\":\"claimReward\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"rnd\",\"type\":\"uint64\"},{\"internalType\":\"bytes32\",\"name\":\"root\",\"type\":\"bytes32\"}],\"name\":\"commit\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"module\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"data\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"config\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"stake\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"reward\",\"type\":\"uint256\"},{\"internalType\":\"uint64\",\"name\":\"voteBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"answerBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"ruleBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint8\",\"name\":\"quorum\",\"type\":\"uint8\"}],\"internalType\":\"structCoordinator.Spec\",\"name\":\"s\",\"type\":\"tuple\"}],\"name\":\"createSwarm\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"}],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"credit\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"disputeCount\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"d\",\"type\":\"uint256\"}],\"name\":\"disputeInfo\",\"outputs\":[{\"components\":[{\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"},{\"internalType\":\"bytes32\",\"name\":\"swarm\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"round\",\"type\":\"uint64\"},{\"internalType\":\"address\",\"name\":\"challenger\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"accused\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"root\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"evidence\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"bond\",\"type\":\"uint256\"},{\"internalType\":\"uint64\",\"name\":\"answerBy\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"ruleBy\",\"type\":\"uint64\"},{\"internalType\":\"enumCoordinator.State\",\"name\":\"state\",\"type\":\"uint8\"},{\"internalType\":\"bytes32\",\"name\":\"ruling\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"paid\",\"type\":\"uint256\"}],\"internalType\":\"structCoordinator.Dispute\",\"name\":\"\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"name\":\"disputeOf\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"d\",\"type\":\"uint256\"}],\"name\":\"expire\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"}],\"name\":\"fund\",\"outputs\":[],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"}],\"name\":\"join\",\"outputs\":[],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"}],\"name\":\"leaveSwarm\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"memberInfo\",\"outputs\":[{\"components\":[{\"internalType\":\"uint256\",\"name\":\"stake\",\"type\":\"uint256\"},{\"internalType\":\"uint64\",\"name\":\"joined\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"unbondAt\",\"type\":\"uint64\"},{\"internalType\":\"uint32\",\"name\":\"open\",\"type\":\"uint32\"},{\"internalType\":\"bool\",\"name\":\"active\",\"type\":\"bool\"},{\"internalType\":\"uint64\",\"name\":\"lastCommit\",\"type\":\"uint64\"}],\"internalType\":\"structCoordinator.Member\",\"name\":\"\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"nodeCount\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"nodeInfo\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"peerId\",\"type\":\"bytes\"},{\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"internalType\":\"bool\",\"name\":\"bootnode\",\"type\":\"bool\"},{\"internalType\":\"uint64\",\"name\":\"registered\",\"type\":\"uint64\"}],\"internalType\":\"structCoordinator.NodeInfo\",\"name\":\"\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"offset\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"limit\",\"type\":\"uint256\"}],\"name\":\"nodes\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"peerId\",\"type\":\"bytes\"},{\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"internalType\":\"bool\",\"name\":\"bootnode\",\"type\":\"bool\"},{\"internalType\":\"uint64\",\"name\":\"registered\",\"type\":\"uint64\"}],\"internalType\":\"structCoordinator.NodeInfo[]\",\"name\":\"out\",\"type\":\"tuple[]\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"rnd\",\"type\":\"uint64\"},{\"internalType\":\"address\",\"name\":\"accused\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"evidence\",\"type\":\"bytes32\"}],\"name\":\"openDispute\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"d\",\"type\":\"uint256\"}],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes\",\"name\":\"pubkey\",\"type\":\"bytes\"}],\"name\":\"peerIdOf\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"pure\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes\",\"name\":\"peerId\",\"type\":\"bytes\"},{\"internalType\":\"bytes\",\"name\":\"pubkey\",\"type\":\"bytes\"},{\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"internalType\":\"bool\",\"name\":\"bootnode\",\"type\":\"bool\"}],\"name\":\"register\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"r\",\"type\":\"uint64\"},{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"rootOf\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"r\",\"type\":\"uint64\"}],\"name\":\"roundInfo\",\"outputs\":[{\"components\":[{\"internalType\":\"uint64\",\"name\":\"opened\",\"type\":\"uint64\"},{\"internalType\":\"uint32\",\"name\":\"commits\",\"type\":\"uint32\"},{\"internalType\":\"address\",\"name\":\"leader\",\"type\":\"address\"},{\"internalType\":\"uint32\",\"name\":\"leaderVotes\",\"type\":\"uint32\"},{\"internalType\":\"bool\",\"name\":\"paid\",\"type\":\"bool\"}],\"internalType\":\"structCoordinator.RoundInfo\",\"name\":\"\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"d\",\"type\":\"uint256\"},{\"internalType\":\"bool\",\"name\":\"accusedLost\",\"type\":\"bool\"},{\"internalType\":\"bytes32\",\"name\":\"ruling\",\"type\":\"bytes32\"},{\"internalType\":\"bytes[]\",\"name\":\"sigs\",\"type\":\"bytes[]\"}],\"name\":\"rule\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"d\",\"type\":\"uint256\"},{\"internalType\":\"bool\",\"name\":\"accusedLost\",\"type\":\"bool\"},{\"internalType\":\"bytes32\",\"name\":\"ruling\",\"type\":\"bytes32\"}],\"name\":\"rulingDigest\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"d\",\"type\":\"uint256\"}],\"name\":\"rulingThreshold\",\"outputs\":[{\"internalType\":\"uint32\",\"name\":\"\",\"type\":\"uint32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"},{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"signed\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"i\",\"type\":\"uint256\"}],\"name\":\"swarmAt\",\"outputs\":[{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"module\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"data\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"config\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"stake\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"reward\",\"type\":\"uint256\"},{\"internalType\":\"uint64\",\"name\":\"voteBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"answerBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"ruleBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint8\",\"name\":\"quorum\",\"type\":\"uint8\"}],\"internalType\":\"structCoordinator.Spec\",\"name\":\"spec\",\"type\":\"tuple\"},{\"internalType\":\"address\",\"name\":\"creator\",\"type\":\"address\"},{\"internalType\":\"uint64\",\"name\":\"created\",\"type\":\"uint64\"},{\"internalType\":\"uint256\",\"name\":\"pool\",\"type\":\"uint256\"},{\"internalType\":\"uint32\",\"name\":\"members\",\"type\":\"uint32\"},{\"internalType\":\"uint64\",\"name\":\"lastRound\",\"type\":\"uint64\"}],\"internalType\":\"structCoordinator.SwarmInfo\",\"name\":\"\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"swarmCount\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"module\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"data\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"config\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"stake\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"reward\",\"type\":\"uint256\"},{\"internalType\":\"uint64\",\"name\":\"voteBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"answerBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"ruleBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint8\",\"name\":\"quorum\",\"type\":\"uint8\"}],\"internalType\":\"structCoordinator.Spec\",\"name\":\"s\",\"type\":\"tuple\"}],\"name\":\"swarmId\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"pure\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"}],\"name\":\"swarmInfo\",\"outputs\":[{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"module\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"data\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"config\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"stake\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"reward\",\"type\":\"uint256\"},{\"internalType\":\"uint64\",\"name\":\"voteBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"answerBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"ruleBlocks\",\"type\":\"uint64\"},{\"internalType\":\"uint8\",\"name\":\"quorum\",\"type\":\"uint8\"}],\"internalType\":\"structCoordinator.Spec\",\"name\":\"spec\",\"type\":\"tuple\"},{\"internalType\":\"address\",\"name\":\"creator\",\"type\":\"address\"},{\"internalType\":\"uint64\",\"name\":\"created\",\"type\":\"uint64\"},{\"internalType\":\"uint256\",\"name\":\"pool\",\"type\":\"uint256\"},{\"internalType\":\"uint32\",\"name\":\"members\",\"type\":\"uint32\"},{\"internalType\":\"uint64\",\"name\":\"lastRound\",\"type\":\"uint64\"}],\"internalType\":\"structCoordinator.SwarmInfo\",\"name\":\"\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"name\":\"tally\",\"outputs\":[{\"internalType\":\"uint32\",\"name\":\"\",\"type\":\"uint32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"}],\"name\":\"unstake\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"rnd\",\"type\":\"uint64\"},{\"internalType\":\"address\",\"name\":\"winner\",\"type\":\"address\"}],\"name\":\"vote\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"r\",\"type\":\"uint64\"},{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"votesOf\",\"outputs\":[{\"internalType\":\"uint32\",\"name\":\"\",\"type\":\"uint32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"wins\",\"outputs\":[{\"internalType\":\"uint64\",\"name\":\"\",\"type\":\"uint64\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"withdraw\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "Coordinator",
	Bin: "0x608080604052346015576145c5908161001a8239f35b5f80fdfe60806040526004361015610011575f80fd5b5f3560e01c806306f7029514613526578063101e19401461333b57806316dbf7db146131e157806323c2e2bc1461318e57806325dc4e49146131715780632c97f9d3146131215780633ccfd60b146130425780634896358f1461301c5780634ce5d726146127d657806352feed02146127865780636da49b831461276957806371ed5d1a146125db5780637371cd87146124f557806373b715d2146124ab5780638748fe461461248f5780638cb46fc11461243e57806390495470146123495780639427c7d61461231f57806394fc6422146123045780639a010c9114611d055780639a5e71c214611bb55780639d3ef6c7146119f65780639fb570d8146119d9578063a28889e1146119bc578063a8ce0745146119a0578063aca0bb4214611974578063ad677d0b146117bd578063b57ad3ef14611378578063bdaa45531461132f578063bf14c119146112dd578063bf81bf4314610f7c578063c8ba6e2714610b4e578063c97606c914610b1c578063c99aefeb14610578578063d49f43e7146102b1578063d5d44d8014610279578063f6e22eb514610249578063fcf81087146102175763ff0cb5e5146101c6575f80fd5b34610213576040366003190112610213576101df613778565b6004355f52600b60205260405f209060018060a01b03165f5260205260206001600160401b0360405f205416604051908152f35b5f80fd5b34610213576020366003190112610213576004355f526002602052602060018060a01b0360405f205416604051908152f35b34610213576020366003190112610213576004355f52600e602052602063ffffffff60405f205416604051908152f35b34610213576020366003190112610213576001600160a01b0361029a613762565b165f526006602052602060405f2054604051908152f35b34610213576060366003190112610213576004356102cd6137bb565b60443591805f52600560205260405f2060018060a01b0333165f52602052600160405f20019161030360ff845460a01c166143f4565b831561054757815f52600360205260016001600160401b03600960405f20015460201c1601926001600160401b038411610533576001600160401b03808316941684116104ee575f83815260086020908152604080832087845282528083203384529091529020546104aa575f83815260086020908152604080832087845282528083203384528252808320889055835467ffffffffffffffff60a81b19164360a81b67ffffffffffffffff60a81b16179093558482526007815282822086835290522080546001600160401b03161561048b575b805463ffffffff60401b6103f463ffffffff8360401c1661438a565b60401b169063ffffffff60401b1916179055815f526003602052600960405f2001908154906001600160401b038260201c16851161045e575b5050506040519283527f116903f0b3f1f647f6697fc62c0713004128c58997785284ce845de573ebe3f660203394a4005b6bffffffffffffffff000000009060201b16906bffffffffffffffff00000000191617905583808061042d565b805467ffffffffffffffff1916436001600160401b03161781556103d8565b606460405162461bcd60e51b815260206004820152602060248201527f616c726561647920636f6d6d697474656420666f72207468697320726f756e646044820152fd5b60405162461bcd60e51b815260206004820152601f60248201527f74686520726f756e64206973206168656164206f662074686520737761726d006044820152606490fd5b634e487b7160e01b5f52601160045260245ffd5b60405162461bcd60e51b81526020600482015260096024820152681e995c9bc81c9bdbdd60ba1b6044820152606490fd5b60803660031901126102135761058c6137bb565b604435906001600160a01b0382168203610213576004355f90815260036020908152604080832060058352818420338552909252909120600101549091906105d99060a01c60ff166143f4565b6001600160a01b0383163314610ad7576004355f52600860205260405f206001600160401b0382165f5260205260405f2060018060a01b0384165f5260205260405f2054928315610a7e578360643514610a2a57600483015434106109e557604051602081019060043582526001600160401b038416604082015260018060a01b03831660608201523360808201526080815261067760a08261390b565b519020805f52600f60205260405f20546109ad576004355f52600560205260405f2060018060a01b0383165f5260205260405f208054156109685760016106ec91016106cc63ffffffff825460801c1661438a565b815463ffffffff60801b191660809190911b63ffffffff60801b16179055565b600c54936001850185116105335760066001600160401b03910154816107288161071d818560401c16824316613c3a565b9360801c1683613c3a565b91604051986107368a613882565b600189018a5260043560208b015282881660408b01523360608b015260018060a01b03871660808b015260a08a015260643560c08a01523460e08a0152166101008801521661012086015260016101408601525f6101608601525f610180860152600160401b8410156109545760018401600c556107b384614508565b61094157855181556020860151600182015560408087015160028301805460608a01516001600160e01b03199091166001600160401b039384161790841b68010000000000000000600160e01b031617905560808801516003840180546001600160a01b0319166001600160a01b0390921691909117905560a0880151600484015560c0880151600584015560e088015160068401556101008801516007840180546101208b015167ffffffffffffffff60401b951b94909416919092166fffffffffffffffffffffffffffffffff1990931692909217919091178155610140870151600681101561092d576020976108b16101809260099461385e565b610160810151600885015501519101555f52600f84526001830160405f20556001600160401b03604051921682523384830152606435604083015260018060a01b031690600435907f713e5141234d5b6303a2c4b871a217ff7e248ba4fd5e0b285941b603dd22d3a460606001860192a4600160405191018152f35b634e487b7160e01b5f52602160045260245ffd5b634e487b7160e01b5f525f60045260245ffd5b634e487b7160e01b5f52604160045260245ffd5b60405162461bcd60e51b815260206004820152601860248201527f746865206163637573656420686173206e6f207374616b6500000000000000006044820152606490fd5b60405162461bcd60e51b815260206004820152601060248201526f185b1c9958591e48191a5cdc1d5d195960821b6044820152606490fd5b60405162461bcd60e51b815260206004820152601c60248201527f626f6e642062656c6f772074686520737761726d2773207374616b65000000006044820152606490fd5b60405162461bcd60e51b815260206004820152602660248201527f7468652065766964656e63652069732074686520616363757365642773206f776044820152651b881c9bdbdd60d21b6064820152608490fd5b60405162461bcd60e51b815260206004820152602b60248201527f746865206163637573656420686173206e6f20636f6d6d69746d656e7420666f60448201526a1c881d1a19481c9bdd5b9960aa1b6064820152608490fd5b60405162461bcd60e51b815260206004820152601e60248201527f61206d656d6265722063616e6e6f74206469737075746520697473656c6600006044820152606490fd5b34610213576060366003190112610213576020610b46610b3a6137e5565b60443590600435614440565b604051908152f35b3461021357610b5c36613824565b9091805f52600560205260405f2060018060a01b0333165f52602052610b8e60ff600160405f20015460a01c166143f4565b5f8181526008602090815260408083206001600160401b0387168452825280832033845290915290205415610f2c576001600160a01b03821691338314610ee757815f52600560205260405f20835f5260205260ff600160405f20015460a01c1615610e9257815f52600860205260405f206001600160401b0385165f5260205260405f20835f5260205260405f205415610e3a575f828152600a602090815260408083206001600160401b038816845282528083203384529091529020546001600160a01b0316610df557815f52600760205260405f206001600160401b0385165f5260205260405f20906001600160401b03610ca181845416855f52600360205282600660405f2001541690613c3a565b164311610db0575f838152600a602090815260408083206001600160401b038916808552908352818420338552835281842080546001600160a01b0319168917905586845260098352818420908452825280832087845290915290208054610d0e9063ffffffff1661438a565b9063ffffffff821663ffffffff19825416179055600183019263ffffffff84541663ffffffff831611610d78575b505050506040519182527febe10119b364cd2e6e6ce702ea13f09260dc78512856ef82677dcb27791ba8bf60206001600160401b0333951693a4005b63ffffffff926bffffffffffffffffffffffff82549181199060601b1691161790551663ffffffff1982541617905583808080610d3c565b60405162461bcd60e51b815260206004820152601f60248201527f766f74696e6720666f722074686520726f756e642068617320636c6f736564006044820152606490fd5b60405162461bcd60e51b815260206004820152601c60248201527f616c726561647920766f74656420666f72207468697320726f756e64000000006044820152606490fd5b60405162461bcd60e51b815260206004820152602a60248201527f7468652077696e6e657220686173206e6f20636f6d6d69746d656e7420666f72604482015269081d1a19481c9bdd5b9960b21b6064820152608490fd5b60405162461bcd60e51b815260206004820152602760248201527f7468652077696e6e6572206973206e6f742061206d656d626572206f662074686044820152666520737761726d60c81b6064820152608490fd5b60405162461bcd60e51b815260206004820152601f60248201527f61206d656d6265722063616e6e6f7420766f746520666f7220697473656c66006044820152606490fd5b60405162461bcd60e51b815260206004820152602260248201527f636f6d6d697420666f722074686520726f756e64206265666f726520766f74696044820152616e6760f01b6064820152608490fd5b3461021357602036600319011261021357610f98600435614524565b60078101805460ff8160801c16600681101561092d576001810361116b5750506001600160401b0381541643111561111b576001820180545f52600560205260405f2060018060a01b0360038501541660018060a01b03165f5260205260405f209061103f6003600184019461103a61101a63ffffffff885460801c16614191565b875463ffffffff60801b191660809190911b63ffffffff60801b16178755565b61385e565b6006840154925f61106260018060a01b03600288015460401c169585549061392c565b9355805460ff8160a01c166110dd575b505050815f52600660205260405f2061108c82825461392c565b905560098301819055825460089093015460405190917fe714115915583645da2c39775fb2edd5bee2dd1e26a960470b5b2f7edfadda459360809360038452602084015260408301526060820152a2005b60ff60a01b19169055545f526003602052600960405f200163ffffffff61110681835416614191565b1663ffffffff19825416179055838080611072565b60405162461bcd60e51b815260206004820152602260248201527f74686520616e7377657220646561646c696e6520686173206e6f742070617373604482015261195960f21b6064820152608490fd5b60020361129f5760401c6001600160401b031643111561124f5760056111d19160018401545f528160205260405f2060018060a01b0360038601541660018060a01b03165f5260205261103a600160405f20016106cc63ffffffff825460801c16614191565b600681015460018060a01b03600283015460401c1690815f52600660205260405f206111fe82825461392c565b905560098301819055825460089093015460405190917fe714115915583645da2c39775fb2edd5bee2dd1e26a960470b5b2f7edfadda459360809360058452602084015260408301526060820152a2005b60405162461bcd60e51b815260206004820152602260248201527f7468652072756c696e6720646561646c696e6520686173206e6f742070617373604482015261195960f21b6064820152608490fd5b60405162461bcd60e51b81526020600482015260166024820152751d1a1948191a5cdc1d5d19481a5cc81cd95d1d1b195960521b6044820152606490fd5b602036600319011261021357600435805f5260036020526113126001600160401b03600760405f20015460a01c161515614302565b5f526003602052600860405f200161132b34825461392c565b9055005b3461021357604036600319011261021357611348613778565b6004355f52600d60205260405f209060018060a01b03165f52602052602060ff60405f2054166040519015158152f35b61012036600319011261021357335f525f6020526113aa6001600160401b03600360405f20015460081c16151561433e565b600160ff6113b66143a1565b1610611778576001600160401b036113cc6143b2565b1615158061175f575b80611746575b156116f557620f42406001600160401b036113f46143b2565b161115806116d8575b806116bb575b15611660576114106141a3565b805f5260036020526001600160401b03600760405f20015460a01c1661162c57805f52600360205260405f2090808255600435918260018201556024358060028301556044358060038401556064359182600485015560843593846005820155600681016001600160401b036114846143b2565b166001600160401b03198254161781556114c761149f6143c8565b825467ffffffffffffffff60401b191660409190911b67ffffffffffffffff60401b16178255565b6114cf6143de565b815460ff60c01b6114de6143a1565b60c01b1667ffffffffffffffff60801b60809390931b9290921668ffffffffffffffffff60801b19919091161717905560078101805467ffffffffffffffff60a01b4360a01b166001600160e01b03199091163367ffffffffffffffff60a01b19161717905534600890910155600454600160401b8110156109545780600161156a92016004556139a1565b81549060031b9087821b915f19901b1916179055604051958652602086015260408501526060840152608083015260a4356001600160401b0381168091036102135760a083015260c4356001600160401b0381168091036102135760c083015260e4356001600160401b0381168091036102135760e0830152610104359160ff831680930361021357602092610100820152817f5903ed4abe8696820fe999164b2fadab023d68e26804b4a50d1eb8fb1d14f8586101203393a3604051908152f35b60405162461bcd60e51b815260206004820152600c60248201526b737761726d2065786973747360a01b6044820152606490fd5b60405162461bcd60e51b815260206004820152602d60248201527f6120646561646c696e65206973206c6f6e676572207468616e204d41585f444560448201526c41444c494e455f424c4f434b5360981b6064820152608490fd5b50620f42406001600160401b036116d06143de565b161115611403565b50620f42406001600160401b036116ed6143c8565b1611156113fd565b60405162461bcd60e51b8152602060048201526024808201527f646561646c696e6573206d757374206265206174206c65617374206f6e6520626044820152636c6f636b60e01b6064820152608490fd5b506001600160401b036117576143de565b1615156113db565b506001600160401b036117706143c8565b1615156113d5565b60405162461bcd60e51b815260206004820152601960248201527f71756f72756d206d757374206265206174206c656173742031000000000000006044820152606490fd5b602036600319011261021357600435805f52600360205260405f206117f36001600160401b03600783015460a01c161515614302565b335f525f6020526118186001600160401b03600360405f20015460081c16151561433e565b5f828152600560209081526040808320338452909152902060018101805491929060a083901c60ff1661193c57835492611852348561392c565b6004840154116118f757611869600994349061392c565b855567ffffffffffffffff60401b1974ff000000000000000000000000ffffffffffffffff19909116436001600160401b031617600160a01b1716905501805463ffffffff906118ba90821661438a565b1663ffffffff1982541617905554906040519182527f91a4dbdcbc6d322357bda498e04d2259453ee2b85812554356e6ae0b5935f3bd60203393a3005b60405162461bcd60e51b815260206004820152601760248201527f7374616b652062656c6f772074686520737761726d27730000000000000000006044820152606490fd5b60405162461bcd60e51b815260206004820152601060248201526f30b63932b0b23c90309036b2b6b132b960811b6044820152606490fd5b34610213576020366003190112610213576020611992600435614257565b63ffffffff60405191168152f35b3461021357610120366003190112610213576020610b466141a3565b34610213575f366003190112610213576020600c54604051908152f35b34610213575f366003190112610213576020604051620f42408152f35b3461021357602036600319011261021357611a0f61405d565b506004355f526003602052611bb160405f206001600160401b03600960405192611a38846138b9565b80548452604051611a48816138d4565b600182015481526002820154602082015260038201546040820152600482015460608201526005820154608082015260ff600683015485811660a0840152858160401c1660c0840152858160801c1660e084015260c01c16610100820152602085015282600782015460018060a01b038116604087015260a01c16606085015260088101546080850152015463ffffffff811660a084015260201c1660c0820152604051918291829190916101c06001600160401b0360c06101e08401958051855260ff610100602083015180516020890152602081015160408901526040810151606089015260608101516080890152608081015160a08901528560a0820151168589015285858201511660e08901528560e0820151168289015201511661012086015260018060a01b0360408201511661014086015282606082015116610160860152608081015161018086015263ffffffff60a0820151166101a0860152015116910152565b0390f35b34610213576020366003190112610213576004355f81815260036020908152604080832060058352818420338552909252909120600101805460a081901c60ff1615611cd15760ff60a01b19811682556001600160401b039260099160a81c841643811115611cc257611c47611c6f915b86611c3c600686015492828460401c1690613c3a565b9160801c1690613c3a565b845467ffffffffffffffff60401b191660409190911b67ffffffffffffffff60401b16178455565b0163ffffffff611c8181835416614191565b1663ffffffff198254161790555460401c16906040519182527f87c650340a2371629e14cbdfa9a3a4e93594143ae2fd4c128261d3da4b3a95ac60203393a3005b50611c6f611c47854316611c26565b60405162461bcd60e51b815260206004820152600c60248201526b3737ba10309036b2b6b132b960a11b6044820152606490fd5b34610213576080366003190112610213576004356001600160401b03811161021357611d3590369060040161378e565b6024356001600160401b03811161021357611d5490369060040161378e565b6044929192356001600160401b03811161021357611d769036906004016137f4565b9490936064359283151580940361021357611d9360408214613b4b565b611d9e3682846140d1565b80516020909101206001600160a01b031633036122bf57611dd190611dc43687866140d1565b6020815191012092613ba2565b602081519101200361227a576008851161224057335f525f60205260405f2060038101906001600160401b03825460081c16156120db575b60020180545f825580612063575b505f5b878110611f0157505090611e479160ff1981541660ff851617905560405193606085526060850191614171565b928284036020840152848452602084019460208160051b86010194825f91601e1982360301905b848410611ea55760408801879052337f2298ff7a9c861f11e6ef40765153ad7ab51a05bb07f3d57a160c15278868b6b7898b038aa2005b909192939497601f19828203018a5288358381121561021357840190602082359201916001600160401b03811161021357803603831361021357611eef6020928392600195614171565b9a019a01940192919098949398611e6e565b610100611f0f828a8a61401c565b90501161202b57611f2181898961401c565b8354600160401b811015610954576001810180865581101561201757845f5260205f2001916001600160401b03821161095457611f6882611f6285546139cd565b85614122565b5f90601f8311600114611faf579180611f9b9260019695945f92611fa4575b50508160011b915f199060031b1c19161790565b90555b01611e1a565b013590508d80611f87565b601f19831691845f5260205f20925f5b818110611fff575091600196959492918388959310611fe6575b505050811b019055611f9e565b01355f19600384901b60f8161c191690558c8080611fd9565b91936020600181928787013581550195019201611fbf565b634e487b7160e01b5f52603260045260245ffd5b60405162461bcd60e51b815260206004820152601060248201526f6164647265737320746f6f206c6f6e6760801b6044820152606490fd5b815f5260205f205f5b82811061207a575050611e17565b80600191830161208a81546139cd565b9081612099575b50500161206c565b81601f5f931185146120af5750555b8b80612091565b818352602083206120cb91601f0160051c841901908601614107565b80825281602081209155556120a8565b80546001600160a01b03191633178155600181016001600160401b038611610954576121118661210b83546139cd565b83614122565b5f86601f81116001146121dd578061213d925f916121d2575b508160011b915f199060031b1c19161790565b90555b815468ffffffffffffffff0019164360081b68ffffffffffffffff001617825560015490600160401b8210156109545761218282600160029401600155613989565b81546001600160a01b0360039290921b91821b19163390911b1790556121a93687866140d1565b80516020918201205f908152929052604090912080546001600160a01b03191633179055611e09565b90508601358b61212a565b50601f19871690825f528760205f20925f5b81811061222557501061220c575b5050600186811b019055612140565b8501355f19600389901b60f8161c1916905588806121fd565b8884013585556001909401936020938401938b9350016121ef565b60405162461bcd60e51b8152602060048201526012602482015271746f6f206d616e792061646472657373657360701b6044820152606490fd5b60405162461bcd60e51b815260206004820152601f60248201527f70656572204944206973206e6f74207468652073656e6465722773206b6579006044820152606490fd5b60405162461bcd60e51b815260206004820152601e60248201527f7075626c6963206b6579206973206e6f74207468652073656e646572277300006044820152606490fd5b34610213575f36600319011261021357602060405160088152f35b34610213576020366003190112610213576004355f52600f602052602060405f2054604051908152f35b3461021357604036600319011261021357612362613778565b5f60a0604051612371816138f0565b82815282602082015282604082015282606082015282608082015201526004355f52600560205260405f209060018060a01b03165f5260205260c060405f206001600160401b036040516123c4816138f0565b600183549384835201549063ffffffff6020820184841681528460408401818660401c168152816060860193858860801c1685528160a0608089019860ff8b831c1615158a52019860a81c168852604051998a525116602089015251166040870152511660608501525115156080840152511660a0820152f35b346102135760203660031901126102135761245761405d565b506124636004356139a1565b90549060031b1c5f526003602052611bb160405f206001600160401b03600960405192611a38846138b9565b34610213575f3660031901126102135760206040516101008152f35b34610213576124b936613824565b915f5260086020526001600160401b0360405f2091165f5260205260405f209060018060a01b03165f52602052602060405f2054604051908152f35b346102135760403660031901126102135761250e6137bb565b5f608060405161251d8161389e565b82815282602082015282604082015282606082015201526004355f5260076020526001600160401b0360405f2091165f5260205260a060405f20604051906125648261389e565b63ffffffff8154926001600160401b038416938482528260016020840195828460401c168752604085019360601c845201549460ff608060608601958489168752019660201c161515865260405196875251166020860152600180871b039051166040850152511660608301525115156080820152f35b34610213576020366003190112610213576004355f52600560205260405f2060018060a01b0333165f5260205260405f2060018101549060ff8260a01c166127245780549182156126f45763ffffffff8160801c166126a15760401c6001600160401b03164310612664575f91338352600660205261265f6040842091825461392c565b905555005b60405162461bcd60e51b81526020600482015260156024820152741cdd185ad9481a5cc81cdd1a5b1b08189bdb991959605a1b6044820152606490fd5b60405162461bcd60e51b815260206004820152602560248201527f646973707574657320617265206f70656e20616761696e73742074686973206d60448201526432b6b132b960d91b6064820152608490fd5b60405162461bcd60e51b81526020600482015260086024820152676e6f207374616b6560c01b6044820152606490fd5b60405162461bcd60e51b815260206004820152601b60248201527f7374696c6c2061206d656d6265723a206c6561766520666972737400000000006044820152606490fd5b34610213575f366003190112610213576020600154604051908152f35b346102135761279436613824565b915f5260096020526001600160401b0360405f2091165f5260205260405f209060018060a01b03165f52602052602063ffffffff60405f205416604051908152f35b34610213576080366003190112610213576004356127f26137e5565b90604435916064356001600160401b038111610213576128169036906004016137f4565b91909261282281614524565b6007810192835460ff8160801c16600681101561092d5760018114908115613011575b501561129f5760401c6001600160401b03164311612fcc578415612f9757612871878285989798614440565b60405160208101917f19457468657265756d205369676e6564204d6573736167653a0a3332000000008352603c820152603c81526128b0605c8261390b565b519020600283019660038401966001850195925f90815b848310612afc5750505050604051602081019083825284151560408201528a6060820152606081526128fa60808261390b565b51902090815f52600e60205263ffffffff8060405f2054169116019163ffffffff83116105335761294863ffffffff929183925f52600e60205260405f208386168419825416179055614257565b169116101561295357005b6008820196875515612af4576003925b82545f52600560205260405f2060018060a01b0386541660018060a01b03165f5260205260405f20926129cb85600186019361103a6129ab63ffffffff875460801c16614191565b865463ffffffff60801b191660809190911b63ffffffff60801b16178655565b600683015491600686101561092d577fe714115915583645da2c39775fb2edd5bee2dd1e26a960470b5b2f7edfadda459760809760038803612ac2575054855460409190911c6001600160a01b0316935f91612a269161392c565b9555805460ff8160a01c16612a84575b5050505b60018060a01b031690815f52600660205260405f20612a5a84825461392c565b9055826009820155549554612a726040518095613688565b602084015260408301526060820152a2005b60ff60a01b19169055545f526003602052600960405f200163ffffffff612aad81835416614191565b1663ffffffff19825416179055878080612a36565b93955091505060048503612ae05750546001600160a01b0316612a3a565b5460401c6001600160a01b03169050612a3a565b600492612963565b612b0783868661401c565b60418103612f52578060201161021357813591816040116102135760208101359160401015612017576040013560f81c601b8110612f32575b60ff1691601b83148015612f28575b15612ee3577f7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a08211612ea8576020925f9260809260405192888452868401526040830152606082015282805260015afa15612e9d575f516001600160a01b038116918215612e68576001600160a01b0316821115612df1578b549093906001600160a01b031682141580612dda575b15612d8a578954805f52600560205260405f20835f5260205260ff600160405f20015460a01c1615612d37575f5260086020528c6001600160401b038060405f20925416165f5260205260405f20825f5260205260405f205415612cdb57865f52600d60205260405f20825f5260205260ff60405f205416612c8457600191875f52600d60205260405f20905f5260205260405f208260ff1982541617905501916128c7565b60405162461bcd60e51b815260206004820152602960248201527f61207265666572656520686173207369676e65642074686973206469737075746044820152686520616c726561647960b81b6064820152608490fd5b60405162461bcd60e51b815260206004820152602e60248201527f61207369676e657220646964206e6f7420636f6d6d697420666f72207468652060448201526d191a5cdc1d5d1959081c9bdd5b9960921b6064820152608490fd5b60405162461bcd60e51b815260206004820152602560248201527f61207369676e6572206973206e6f742061206d656d626572206f662074686520604482015264737761726d60d81b6064820152608490fd5b60405162461bcd60e51b815260206004820152602260248201527f612070617274792063616e6e6f74207265666572656520697473206469737075604482015261746560f01b6064820152608490fd5b508c5460401c6001600160a01b0316821415612bde565b60a460405162461bcd60e51b815260206004820152604460248201527f7369676e617475726573206d757374206265206f662064697374696e6374207260448201527f656665726565732c20696e20696e6372656173696e672061646472657373206f606482015263393232b960e11b6084820152fd5b60405162461bcd60e51b815260206004820152600d60248201526c626164207369676e617475726560981b6044820152606490fd5b6040513d5f823e3d90fd5b60405162461bcd60e51b81526020600482015260136024820152726d616c6c6561626c65207369676e617475726560681b6044820152606490fd5b60405162461bcd60e51b815260206004820152601960248201527f626164207369676e6174757265207265636f76657279206964000000000000006044820152606490fd5b50601c8314612b4f565b601b0160ff811115612b4057634e487b7160e01b5f52601160045260245ffd5b60405162461bcd60e51b815260206004820152601c60248201527f61207369676e6174757265206d757374206265203635206279746573000000006044820152606490fd5b60405162461bcd60e51b815260206004820152600d60248201526c6e6f207369676e61747572657360981b6044820152606490fd5b60405162461bcd60e51b815260206004820152601e60248201527f7468652072756c696e6720646561646c696e65206861732070617373656400006044820152606490fd5b600291501489612845565b34610213576040366003190112610213576130406130386137bb565b600435613c5a565b005b34610213575f36600319011261021357335f52600660205260405f205480156130e6575f808080933382526006602052816040812055335af13d156130e1573d61308b81613c1f565b90613099604051928361390b565b81525f60203d92013e5b156130aa57005b60405162461bcd60e51b815260206004820152600f60248201526e1d1c985b9cd9995c8819985a5b1959608a1b6044820152606490fd5b6130a3565b60405162461bcd60e51b81526020600482015260136024820152726e6f7468696e6720746f20776974686472617760681b6044820152606490fd5b34610213576020366003190112610213576004356001600160401b0381116102135761315d613157611bb192369060040161378e565b90613ba2565b604051918291602083526020830190613695565b34610213575f366003190112610213576020600454604051908152f35b34610213576020366003190112610213576131a7613762565b6131af61395d565b5060018060a01b03165f525f602052611bb16131cd60405f20613a86565b6040519182916020835260208301906136b9565b34610213576040366003190112610213576004356132016024358261392c565b600154808211613333575b5080821161332b575b61321f8282613939565b9161322983613946565b92613237604051948561390b565b808452613246601f1991613946565b015f5b818110613314575050805b8281106132c257836040518091602082016020835281518091526040830190602060408260051b8601019301915f905b82821061329357505050500390f35b919360019193955060206132b28192603f198a820301865288516136b9565b9601920192018594939192613284565b806132ce600192613989565b838060a01b0391549060031b1c165f525f60205261330d60405f206132fc6132f68685613939565b91613a86565b61330682896139b9565b52866139b9565b5001613254565b60209061331f61395d565b82828801015201613249565b905080613215565b90508261320c565b34610213576020366003190112610213575f61018060405161335c81613882565b8281528260208201528260408201528260608201528260808201528260a08201528260c08201528260e08201528261010082015282610120820152826101408201528261016082015201526133b2600435614524565b604051906133bf82613882565b8054825260018101549060208301918252600281015460408401906001600160401b0381168252606085019060018060a01b039060401c16815260018060a01b036003840154169060808601918252600484015460a08701908152600585015460c0880190815260068601549160e089019283526007870154946101008a01946001600160401b038716865260ff6101208c01976001600160401b038160401c16895260801c16976101408c0198600681101561092d57895260088a0154996101608d019a8b52600901549a6101808d019b8c526040519c518d525160208d0152516001600160401b031660408c0152600160a01b6001900390511660608b0152600160a01b6001900390511660808a01525160a08901525160c08801525160e0870152516001600160401b0316610100860152516001600160401b031661012085015251610140840161351291613688565b51610160830152516101808201526101a090f35b346102135760203660031901126102135760043561354381614524565b60038101546001600160a01b0316330361364357600701805460ff8160801c16600681101561092d576001036135fe576001600160401b031643116135b957805460ff60801b1916600160811b1790557f1d9fb81668ef99e9e6fccf6c3c1eff12a5cc4ccf740de685a6364843d03e77ae5f80a2005b60405162461bcd60e51b815260206004820152601e60248201527f74686520616e7377657220646561646c696e65206861732070617373656400006044820152606490fd5b60405162461bcd60e51b815260206004820152601760248201527f7468652064697370757465206973206e6f74206f70656e0000000000000000006044820152606490fd5b60405162461bcd60e51b815260206004820152601860248201527f6f6e6c7920746865206163637573656420616e737765727300000000000000006044820152606490fd5b90600682101561092d5752565b805180835260209291819084018484015e5f828201840152601f01601f1916010190565b9060018060a01b0382511681526136df602083015160a0602084015260a0830190613695565b916040810151928281036040840152835180825260208201916020808360051b8301019601925f915b8383106137355750505050506001600160401b036080826060829401511515606086015201511691015290565b9091929396602080613753600193601f198682030187528b51613695565b99019301930191939290613708565b600435906001600160a01b038216820361021357565b602435906001600160a01b038216820361021357565b9181601f84011215610213578235916001600160401b038311610213576020838186019501011161021357565b602435906001600160401b038216820361021357565b35906001600160401b038216820361021357565b60243590811515820361021357565b9181601f84011215610213578235916001600160401b038311610213576020808501948460051b01011161021357565b606090600319011261021357600435906024356001600160401b038116810361021357906044356001600160a01b03811681036102135790565b90600681101561092d57815460ff60801b191660809190911b60ff60801b16179055565b6101a081019081106001600160401b0382111761095457604052565b60a081019081106001600160401b0382111761095457604052565b60e081019081106001600160401b0382111761095457604052565b61012081019081106001600160401b0382111761095457604052565b60c081019081106001600160401b0382111761095457604052565b90601f801991011681019081106001600160401b0382111761095457604052565b9190820180921161053357565b9190820391821161053357565b6001600160401b0381116109545760051b60200190565b6040519061396a8261389e565b5f60808382815260606020820152606060408201528260608201520152565b6001548110156120175760015f5260205f2001905f90565b6004548110156120175760045f5260205f2001905f90565b80518210156120175760209160051b010190565b90600182811c921680156139fb575b60208310146139e757565b634e487b7160e01b5f52602260045260245ffd5b91607f16916139dc565b5f9291815491613a14836139cd565b8083529260018116908115613a695750600114613a3057505050565b5f9081526020812093945091925b838310613a4f575060209250010190565b600181602092949394548385870101520191019190613a3e565b915050602093945060ff929192191683830152151560051b010190565b90604051613a938161389e565b82546001600160a01b0316815260405190928391613abf81613ab88160018601613a05565b038261390b565b6020830152600281018054613ad381613946565b91613ae1604051938461390b565b81835260208301905f5260205f205f915b838310613b26575050505060036080926001600160401b03926040860152015460ff81161515606085015260081c16910152565b600160208192604051613b3d81613ab88189613a05565b815201920192019190613af2565b15613b5257565b60405162461bcd60e51b815260206004820152602260248201527f7075626c6963206b6579206d7573742062652036342062797465732028782c20604482015261792960f01b6064820152608490fd5b613bae60408314613b4b565b81603f101561201757600180603f83013560f81c16145f14613c1457600360f81b915b602011610213576020906040519264250802122160d01b8385015260ff60f81b16602684015260278301375f604782015260278152613c1160478261390b565b90565b600160f91b91613bd1565b6001600160401b03811161095457601f01601f191660200190565b906001600160401b03809116911601906001600160401b03821161053357565b805f52600360205260405f2090805f52600760205260405f206001600160401b0384165f5260205260405f2080546001600160401b0381168015613fe757613cb16001600160401b03918260068801541690613c3a565b16431115613f975760018201805460ff8160201c16613f63578260601c928315613f255760039264010000000063ffffffff9364ff00000000191617905560401c1610613ecb57825f52600560205260405f2060018060a01b0382165f5260205263ffffffff600160405f20015460801c16613e6057825f52600560205260405f2060018060a01b0382165f5260205260ff600160405f20015460a01c1615613e2557506008600584015493018054938481105f14613e1a57613d75908095613939565b9055805460601c5f52600660205260405f20613d9284825461392c565b9055815f52600b60205260405f20815460601c60018060a01b03165f5260205260405f206001600160401b038154166001600160401b038114610533577fe7dbad3b20fffc653e9e669e36abc6132e81ca2f79616cfec5f7198f8817d0c0926020926001600160401b0360018194011683198254161790555460601c956040519586521693a4565b50613d758480613939565b939250507fe7dbad3b20fffc653e9e669e36abc6132e81ca2f79616cfec5f7198f8817d0c060206001600160401b03604051945f86521693a4565b60405162461bcd60e51b815260206004820152603860248201527f74686520726f756e6427732077696e6e65722069732064697370757465643a2060448201527f636c61696d206f6e636520697420697320736574746c656400000000000000006064820152608490fd5b60405162461bcd60e51b815260206004820152602c60248201527f6120726f756e64206e6565647320746872656520636f6d6d69746d656e74732060448201526b199bdc8818481c995dd85c9960a21b6064820152608490fd5b60405162461bcd60e51b815260206004820152601660248201527574686520726f756e6420686173206e6f20766f74657360501b6044820152606490fd5b60405162461bcd60e51b815260206004820152600c60248201526b185b1c9958591e481c185a5960a21b6044820152606490fd5b60405162461bcd60e51b815260206004820152602260248201527f766f74696e6720666f722074686520726f756e64206973207374696c6c206f7060448201526132b760f11b6064820152608490fd5b60405162461bcd60e51b815260206004820152600d60248201526c1b9bc81cdd58da081c9bdd5b99609a1b6044820152606490fd5b91908110156120175760051b81013590601e19813603018212156102135701908135916001600160401b038311610213576020018236038113610213579190565b6040519061406a826138b9565b5f60c08382815260405161407d816138d4565b8381528360208201528360408201528360608201528360808201528360a082015283838201528360e08201528361010082015260208201528260408201528260608201528260808201528260a08201520152565b9291926140dd82613c1f565b916140eb604051938461390b565b829481845281830111610213578281602093845f960137010152565b5f5b82811061411557505050565b5f82820155600101614109565b91601f821161413057505050565b80821161413c57505050565b614167925f5260205f20916020601f830160051c9210614169575b601f82910160051c039101614107565b565b5f9150614157565b908060209392818452848401375f828201840152601f01601f1916010190565b63ffffffff168015610533575f190190565b604080516004803560208301908152602435938301939093526044356060830152606435608083015260843560a0830152610140820190610100906001600160401b036141f060a46137d1565b1660a08601526001600160401b0361420a60c083016137d1565b1660c08601526001600160401b0361422460e083016137d1565b1660e0860152013560ff81168091036102135761425191839161010086015203601f19810183528261390b565b51902090565b61426090614524565b600181015490815f5260076020526001600160401b0380600260405f2093015416165f5260205263ffffffff60405f205460401c16600281115f146142f4576001190163ffffffff811161053357637fffffff6001915b821c16019063ffffffff8211610533575f52600360205260ff600660405f20015460c01c168063ffffffff8316115f146142ef575090565b905090565b506001637fffffff5f6142b7565b1561430957565b60405162461bcd60e51b815260206004820152600d60248201526c6e6f207375636820737761726d60981b6044820152606490fd5b1561434557565b60405162461bcd60e51b815260206004820152601f60248201527f73656e646572206973206e6f7420612072656769737465726564206e6f6465006044820152606490fd5b63ffffffff1663ffffffff81146105335760010190565b6101043560ff811681036102135790565b60a4356001600160401b03811681036102135790565b60c4356001600160401b03811681036102135790565b60e4356001600160401b03811681036102135790565b156143fb57565b60405162461bcd60e51b815260206004820152601960248201527f6e6f742061206d656d626572206f662074686520737761726d000000000000006044820152606490fd5b9161444a83614524565b9160018301549260028101549060018060a01b0360038201541660056004830154920154926040519660208801986101808a5260126101a08a0152713637b1b5b9ba32b810393ab634b733903b1960711b6101c08a01524660408a01523060608a0152608089015260a08801526001600160401b03811660c088015260018060a01b039060401c1660e087015261010086015261012085015261014084015215156101608301526101808201526101c081526142516101e08261390b565b600c5481101561201757600c5f52600a60205f20910201905f90565b600181101580614583575b1561454c575f1981019081116105335761454890614508565b5090565b60405162461bcd60e51b815260206004820152600f60248201526e6e6f2073756368206469737075746560881b6044820152606490fd5b50600c5481111561452f56fea26469706673582212204e71bf4d2886ca482cf71e0ced74ac14c307028c14b70889c7982370524cbe5864736f6c63430008250033",
}

// Coordinator is an auto generated Go binding around an Ethereum contract.
type Coordinator struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *Coordinator) GetABI() abi.ABI {
	return c.abi
}

// NewCoordinator creates a new instance of Coordinator.
func NewCoordinator() *Coordinator {
	parsed, err := CoordinatorMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &Coordinator{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *Coordinator) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackMAXADDRS is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x94fc6422.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function MAX_ADDRS() view returns(uint256)
func (coordinator *Coordinator) PackMAXADDRS() []byte {
	enc, err := coordinator.abi.Pack("MAX_ADDRS")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMAXADDRS is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x94fc6422.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function MAX_ADDRS() view returns(uint256)
func (coordinator *Coordinator) TryPackMAXADDRS() ([]byte, error) {
	return coordinator.abi.Pack("MAX_ADDRS")
}

// UnpackMAXADDRS is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x94fc6422.
//
// Solidity: function MAX_ADDRS() view returns(uint256)
func (coordinator *Coordinator) UnpackMAXADDRS(data []byte) (*big.Int, error) {
	out, err := coordinator.abi.Unpack("MAX_ADDRS", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackMAXADDRBYTES is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8748fe46.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function MAX_ADDR_BYTES() view returns(uint256)
func (coordinator *Coordinator) PackMAXADDRBYTES() []byte {
	enc, err := coordinator.abi.Pack("MAX_ADDR_BYTES")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMAXADDRBYTES is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8748fe46.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function MAX_ADDR_BYTES() view returns(uint256)
func (coordinator *Coordinator) TryPackMAXADDRBYTES() ([]byte, error) {
	return coordinator.abi.Pack("MAX_ADDR_BYTES")
}

// UnpackMAXADDRBYTES is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x8748fe46.
//
// Solidity: function MAX_ADDR_BYTES() view returns(uint256)
func (coordinator *Coordinator) UnpackMAXADDRBYTES(data []byte) (*big.Int, error) {
	out, err := coordinator.abi.Unpack("MAX_ADDR_BYTES", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackMAXDEADLINEBLOCKS is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9fb570d8.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function MAX_DEADLINE_BLOCKS() view returns(uint64)
func (coordinator *Coordinator) PackMAXDEADLINEBLOCKS() []byte {
	enc, err := coordinator.abi.Pack("MAX_DEADLINE_BLOCKS")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMAXDEADLINEBLOCKS is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9fb570d8.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function MAX_DEADLINE_BLOCKS() view returns(uint64)
func (coordinator *Coordinator) TryPackMAXDEADLINEBLOCKS() ([]byte, error) {
	return coordinator.abi.Pack("MAX_DEADLINE_BLOCKS")
}

// UnpackMAXDEADLINEBLOCKS is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x9fb570d8.
//
// Solidity: function MAX_DEADLINE_BLOCKS() view returns(uint64)
func (coordinator *Coordinator) UnpackMAXDEADLINEBLOCKS(data []byte) (uint64, error) {
	out, err := coordinator.abi.Unpack("MAX_DEADLINE_BLOCKS", data)
	if err != nil {
		return *new(uint64), err
	}
	out0 := *abi.ConvertType(out[0], new(uint64)).(*uint64)
	return out0, nil
}

// PackAccountOfPeer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xfcf81087.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function accountOfPeer(bytes32 ) view returns(address)
func (coordinator *Coordinator) PackAccountOfPeer(arg0 [32]byte) []byte {
	enc, err := coordinator.abi.Pack("accountOfPeer", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAccountOfPeer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xfcf81087.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function accountOfPeer(bytes32 ) view returns(address)
func (coordinator *Coordinator) TryPackAccountOfPeer(arg0 [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("accountOfPeer", arg0)
}

// UnpackAccountOfPeer is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xfcf81087.
//
// Solidity: function accountOfPeer(bytes32 ) view returns(address)
func (coordinator *Coordinator) UnpackAccountOfPeer(data []byte) (common.Address, error) {
	out, err := coordinator.abi.Unpack("accountOfPeer", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackAnswer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x06f70295.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function answer(uint256 d) returns()
func (coordinator *Coordinator) PackAnswer(d *big.Int) []byte {
	enc, err := coordinator.abi.Pack("answer", d)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAnswer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x06f70295.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function answer(uint256 d) returns()
func (coordinator *Coordinator) TryPackAnswer(d *big.Int) ([]byte, error) {
	return coordinator.abi.Pack("answer", d)
}

// PackClaimReward is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x4896358f.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function claimReward(bytes32 id, uint64 rnd) returns()
func (coordinator *Coordinator) PackClaimReward(id [32]byte, rnd uint64) []byte {
	enc, err := coordinator.abi.Pack("claimReward", id, rnd)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackClaimReward is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x4896358f.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function claimReward(bytes32 id, uint64 rnd) returns()
func (coordinator *Coordinator) TryPackClaimReward(id [32]byte, rnd uint64) ([]byte, error) {
	return coordinator.abi.Pack("claimReward", id, rnd)
}

// PackCommit is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd49f43e7.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function commit(bytes32 id, uint64 rnd, bytes32 root) returns()
func (coordinator *Coordinator) PackCommit(id [32]byte, rnd uint64, root [32]byte) []byte {
	enc, err := coordinator.abi.Pack("commit", id, rnd, root)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCommit is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd49f43e7.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function commit(bytes32 id, uint64 rnd, bytes32 root) returns()
func (coordinator *Coordinator) TryPackCommit(id [32]byte, rnd uint64, root [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("commit", id, rnd, root)
}

// PackCreateSwarm is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb57ad3ef.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function createSwarm((bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8) s) payable returns(bytes32 id)
func (coordinator *Coordinator) PackCreateSwarm(s CoordinatorSpec) []byte {
	enc, err := coordinator.abi.Pack("createSwarm", s)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCreateSwarm is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb57ad3ef.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function createSwarm((bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8) s) payable returns(bytes32 id)
func (coordinator *Coordinator) TryPackCreateSwarm(s CoordinatorSpec) ([]byte, error) {
	return coordinator.abi.Pack("createSwarm", s)
}

// UnpackCreateSwarm is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xb57ad3ef.
//
// Solidity: function createSwarm((bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8) s) payable returns(bytes32 id)
func (coordinator *Coordinator) UnpackCreateSwarm(data []byte) ([32]byte, error) {
	out, err := coordinator.abi.Unpack("createSwarm", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackCredit is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd5d44d80.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function credit(address ) view returns(uint256)
func (coordinator *Coordinator) PackCredit(arg0 common.Address) []byte {
	enc, err := coordinator.abi.Pack("credit", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCredit is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd5d44d80.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function credit(address ) view returns(uint256)
func (coordinator *Coordinator) TryPackCredit(arg0 common.Address) ([]byte, error) {
	return coordinator.abi.Pack("credit", arg0)
}

// UnpackCredit is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd5d44d80.
//
// Solidity: function credit(address ) view returns(uint256)
func (coordinator *Coordinator) UnpackCredit(data []byte) (*big.Int, error) {
	out, err := coordinator.abi.Unpack("credit", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackDisputeCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa28889e1.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function disputeCount() view returns(uint256)
func (coordinator *Coordinator) PackDisputeCount() []byte {
	enc, err := coordinator.abi.Pack("disputeCount")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDisputeCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa28889e1.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function disputeCount() view returns(uint256)
func (coordinator *Coordinator) TryPackDisputeCount() ([]byte, error) {
	return coordinator.abi.Pack("disputeCount")
}

// UnpackDisputeCount is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa28889e1.
//
// Solidity: function disputeCount() view returns(uint256)
func (coordinator *Coordinator) UnpackDisputeCount(data []byte) (*big.Int, error) {
	out, err := coordinator.abi.Unpack("disputeCount", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackDisputeInfo is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x101e1940.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function disputeInfo(uint256 d) view returns((uint256,bytes32,uint64,address,address,bytes32,bytes32,uint256,uint64,uint64,uint8,bytes32,uint256))
func (coordinator *Coordinator) PackDisputeInfo(d *big.Int) []byte {
	enc, err := coordinator.abi.Pack("disputeInfo", d)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDisputeInfo is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x101e1940.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function disputeInfo(uint256 d) view returns((uint256,bytes32,uint64,address,address,bytes32,bytes32,uint256,uint64,uint64,uint8,bytes32,uint256))
func (coordinator *Coordinator) TryPackDisputeInfo(d *big.Int) ([]byte, error) {
	return coordinator.abi.Pack("disputeInfo", d)
}

// UnpackDisputeInfo is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x101e1940.
//
// Solidity: function disputeInfo(uint256 d) view returns((uint256,bytes32,uint64,address,address,bytes32,bytes32,uint256,uint64,uint64,uint8,bytes32,uint256))
func (coordinator *Coordinator) UnpackDisputeInfo(data []byte) (CoordinatorDispute, error) {
	out, err := coordinator.abi.Unpack("disputeInfo", data)
	if err != nil {
		return *new(CoordinatorDispute), err
	}
	out0 := *abi.ConvertType(out[0], new(CoordinatorDispute)).(*CoordinatorDispute)
	return out0, nil
}

// PackDisputeOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9427c7d6.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function disputeOf(bytes32 ) view returns(uint256)
func (coordinator *Coordinator) PackDisputeOf(arg0 [32]byte) []byte {
	enc, err := coordinator.abi.Pack("disputeOf", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDisputeOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9427c7d6.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function disputeOf(bytes32 ) view returns(uint256)
func (coordinator *Coordinator) TryPackDisputeOf(arg0 [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("disputeOf", arg0)
}

// UnpackDisputeOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x9427c7d6.
//
// Solidity: function disputeOf(bytes32 ) view returns(uint256)
func (coordinator *Coordinator) UnpackDisputeOf(data []byte) (*big.Int, error) {
	out, err := coordinator.abi.Unpack("disputeOf", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackExpire is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbf81bf43.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function expire(uint256 d) returns()
func (coordinator *Coordinator) PackExpire(d *big.Int) []byte {
	enc, err := coordinator.abi.Pack("expire", d)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackExpire is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbf81bf43.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function expire(uint256 d) returns()
func (coordinator *Coordinator) TryPackExpire(d *big.Int) ([]byte, error) {
	return coordinator.abi.Pack("expire", d)
}

// PackFund is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbf14c119.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function fund(bytes32 id) payable returns()
func (coordinator *Coordinator) PackFund(id [32]byte) []byte {
	enc, err := coordinator.abi.Pack("fund", id)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackFund is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbf14c119.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function fund(bytes32 id) payable returns()
func (coordinator *Coordinator) TryPackFund(id [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("fund", id)
}

// PackJoin is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xad677d0b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function join(bytes32 id) payable returns()
func (coordinator *Coordinator) PackJoin(id [32]byte) []byte {
	enc, err := coordinator.abi.Pack("join", id)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackJoin is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xad677d0b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function join(bytes32 id) payable returns()
func (coordinator *Coordinator) TryPackJoin(id [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("join", id)
}

// PackLeaveSwarm is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9a5e71c2.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function leaveSwarm(bytes32 id) returns()
func (coordinator *Coordinator) PackLeaveSwarm(id [32]byte) []byte {
	enc, err := coordinator.abi.Pack("leaveSwarm", id)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLeaveSwarm is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9a5e71c2.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function leaveSwarm(bytes32 id) returns()
func (coordinator *Coordinator) TryPackLeaveSwarm(id [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("leaveSwarm", id)
}

// PackMemberInfo is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x90495470.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function memberInfo(bytes32 id, address account) view returns((uint256,uint64,uint64,uint32,bool,uint64))
func (coordinator *Coordinator) PackMemberInfo(id [32]byte, account common.Address) []byte {
	enc, err := coordinator.abi.Pack("memberInfo", id, account)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMemberInfo is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x90495470.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function memberInfo(bytes32 id, address account) view returns((uint256,uint64,uint64,uint32,bool,uint64))
func (coordinator *Coordinator) TryPackMemberInfo(id [32]byte, account common.Address) ([]byte, error) {
	return coordinator.abi.Pack("memberInfo", id, account)
}

// UnpackMemberInfo is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x90495470.
//
// Solidity: function memberInfo(bytes32 id, address account) view returns((uint256,uint64,uint64,uint32,bool,uint64))
func (coordinator *Coordinator) UnpackMemberInfo(data []byte) (CoordinatorMember, error) {
	out, err := coordinator.abi.Unpack("memberInfo", data)
	if err != nil {
		return *new(CoordinatorMember), err
	}
	out0 := *abi.ConvertType(out[0], new(CoordinatorMember)).(*CoordinatorMember)
	return out0, nil
}

// PackNodeCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6da49b83.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function nodeCount() view returns(uint256)
func (coordinator *Coordinator) PackNodeCount() []byte {
	enc, err := coordinator.abi.Pack("nodeCount")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackNodeCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6da49b83.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function nodeCount() view returns(uint256)
func (coordinator *Coordinator) TryPackNodeCount() ([]byte, error) {
	return coordinator.abi.Pack("nodeCount")
}

// UnpackNodeCount is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x6da49b83.
//
// Solidity: function nodeCount() view returns(uint256)
func (coordinator *Coordinator) UnpackNodeCount(data []byte) (*big.Int, error) {
	out, err := coordinator.abi.Unpack("nodeCount", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackNodeInfo is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x23c2e2bc.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function nodeInfo(address account) view returns((address,bytes,string[],bool,uint64))
func (coordinator *Coordinator) PackNodeInfo(account common.Address) []byte {
	enc, err := coordinator.abi.Pack("nodeInfo", account)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackNodeInfo is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x23c2e2bc.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function nodeInfo(address account) view returns((address,bytes,string[],bool,uint64))
func (coordinator *Coordinator) TryPackNodeInfo(account common.Address) ([]byte, error) {
	return coordinator.abi.Pack("nodeInfo", account)
}

// UnpackNodeInfo is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x23c2e2bc.
//
// Solidity: function nodeInfo(address account) view returns((address,bytes,string[],bool,uint64))
func (coordinator *Coordinator) UnpackNodeInfo(data []byte) (CoordinatorNodeInfo, error) {
	out, err := coordinator.abi.Unpack("nodeInfo", data)
	if err != nil {
		return *new(CoordinatorNodeInfo), err
	}
	out0 := *abi.ConvertType(out[0], new(CoordinatorNodeInfo)).(*CoordinatorNodeInfo)
	return out0, nil
}

// PackNodes is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x16dbf7db.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function nodes(uint256 offset, uint256 limit) view returns((address,bytes,string[],bool,uint64)[] out)
func (coordinator *Coordinator) PackNodes(offset *big.Int, limit *big.Int) []byte {
	enc, err := coordinator.abi.Pack("nodes", offset, limit)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackNodes is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x16dbf7db.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function nodes(uint256 offset, uint256 limit) view returns((address,bytes,string[],bool,uint64)[] out)
func (coordinator *Coordinator) TryPackNodes(offset *big.Int, limit *big.Int) ([]byte, error) {
	return coordinator.abi.Pack("nodes", offset, limit)
}

// UnpackNodes is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x16dbf7db.
//
// Solidity: function nodes(uint256 offset, uint256 limit) view returns((address,bytes,string[],bool,uint64)[] out)
func (coordinator *Coordinator) UnpackNodes(data []byte) ([]CoordinatorNodeInfo, error) {
	out, err := coordinator.abi.Unpack("nodes", data)
	if err != nil {
		return *new([]CoordinatorNodeInfo), err
	}
	out0 := *abi.ConvertType(out[0], new([]CoordinatorNodeInfo)).(*[]CoordinatorNodeInfo)
	return out0, nil
}

// PackOpenDispute is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc99aefeb.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function openDispute(bytes32 id, uint64 rnd, address accused, bytes32 evidence) payable returns(uint256 d)
func (coordinator *Coordinator) PackOpenDispute(id [32]byte, rnd uint64, accused common.Address, evidence [32]byte) []byte {
	enc, err := coordinator.abi.Pack("openDispute", id, rnd, accused, evidence)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackOpenDispute is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc99aefeb.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function openDispute(bytes32 id, uint64 rnd, address accused, bytes32 evidence) payable returns(uint256 d)
func (coordinator *Coordinator) TryPackOpenDispute(id [32]byte, rnd uint64, accused common.Address, evidence [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("openDispute", id, rnd, accused, evidence)
}

// UnpackOpenDispute is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xc99aefeb.
//
// Solidity: function openDispute(bytes32 id, uint64 rnd, address accused, bytes32 evidence) payable returns(uint256 d)
func (coordinator *Coordinator) UnpackOpenDispute(data []byte) (*big.Int, error) {
	out, err := coordinator.abi.Unpack("openDispute", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackPeerIdOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x2c97f9d3.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function peerIdOf(bytes pubkey) pure returns(bytes)
func (coordinator *Coordinator) PackPeerIdOf(pubkey []byte) []byte {
	enc, err := coordinator.abi.Pack("peerIdOf", pubkey)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackPeerIdOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x2c97f9d3.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function peerIdOf(bytes pubkey) pure returns(bytes)
func (coordinator *Coordinator) TryPackPeerIdOf(pubkey []byte) ([]byte, error) {
	return coordinator.abi.Pack("peerIdOf", pubkey)
}

// UnpackPeerIdOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x2c97f9d3.
//
// Solidity: function peerIdOf(bytes pubkey) pure returns(bytes)
func (coordinator *Coordinator) UnpackPeerIdOf(data []byte) ([]byte, error) {
	out, err := coordinator.abi.Unpack("peerIdOf", data)
	if err != nil {
		return *new([]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([]byte)).(*[]byte)
	return out0, nil
}

// PackRegister is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9a010c91.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function register(bytes peerId, bytes pubkey, string[] addrs, bool bootnode) returns()
func (coordinator *Coordinator) PackRegister(peerId []byte, pubkey []byte, addrs []string, bootnode bool) []byte {
	enc, err := coordinator.abi.Pack("register", peerId, pubkey, addrs, bootnode)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRegister is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9a010c91.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function register(bytes peerId, bytes pubkey, string[] addrs, bool bootnode) returns()
func (coordinator *Coordinator) TryPackRegister(peerId []byte, pubkey []byte, addrs []string, bootnode bool) ([]byte, error) {
	return coordinator.abi.Pack("register", peerId, pubkey, addrs, bootnode)
}

// PackRootOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x73b715d2.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function rootOf(bytes32 id, uint64 r, address account) view returns(bytes32)
func (coordinator *Coordinator) PackRootOf(id [32]byte, r uint64, account common.Address) []byte {
	enc, err := coordinator.abi.Pack("rootOf", id, r, account)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRootOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x73b715d2.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function rootOf(bytes32 id, uint64 r, address account) view returns(bytes32)
func (coordinator *Coordinator) TryPackRootOf(id [32]byte, r uint64, account common.Address) ([]byte, error) {
	return coordinator.abi.Pack("rootOf", id, r, account)
}

// UnpackRootOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x73b715d2.
//
// Solidity: function rootOf(bytes32 id, uint64 r, address account) view returns(bytes32)
func (coordinator *Coordinator) UnpackRootOf(data []byte) ([32]byte, error) {
	out, err := coordinator.abi.Unpack("rootOf", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackRoundInfo is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7371cd87.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function roundInfo(bytes32 id, uint64 r) view returns((uint64,uint32,address,uint32,bool))
func (coordinator *Coordinator) PackRoundInfo(id [32]byte, r uint64) []byte {
	enc, err := coordinator.abi.Pack("roundInfo", id, r)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRoundInfo is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7371cd87.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function roundInfo(bytes32 id, uint64 r) view returns((uint64,uint32,address,uint32,bool))
func (coordinator *Coordinator) TryPackRoundInfo(id [32]byte, r uint64) ([]byte, error) {
	return coordinator.abi.Pack("roundInfo", id, r)
}

// UnpackRoundInfo is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x7371cd87.
//
// Solidity: function roundInfo(bytes32 id, uint64 r) view returns((uint64,uint32,address,uint32,bool))
func (coordinator *Coordinator) UnpackRoundInfo(data []byte) (CoordinatorRoundInfo, error) {
	out, err := coordinator.abi.Unpack("roundInfo", data)
	if err != nil {
		return *new(CoordinatorRoundInfo), err
	}
	out0 := *abi.ConvertType(out[0], new(CoordinatorRoundInfo)).(*CoordinatorRoundInfo)
	return out0, nil
}

// PackRule is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x4ce5d726.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function rule(uint256 d, bool accusedLost, bytes32 ruling, bytes[] sigs) returns()
func (coordinator *Coordinator) PackRule(d *big.Int, accusedLost bool, ruling [32]byte, sigs [][]byte) []byte {
	enc, err := coordinator.abi.Pack("rule", d, accusedLost, ruling, sigs)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRule is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x4ce5d726.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function rule(uint256 d, bool accusedLost, bytes32 ruling, bytes[] sigs) returns()
func (coordinator *Coordinator) TryPackRule(d *big.Int, accusedLost bool, ruling [32]byte, sigs [][]byte) ([]byte, error) {
	return coordinator.abi.Pack("rule", d, accusedLost, ruling, sigs)
}

// PackRulingDigest is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc97606c9.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function rulingDigest(uint256 d, bool accusedLost, bytes32 ruling) view returns(bytes32)
func (coordinator *Coordinator) PackRulingDigest(d *big.Int, accusedLost bool, ruling [32]byte) []byte {
	enc, err := coordinator.abi.Pack("rulingDigest", d, accusedLost, ruling)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRulingDigest is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc97606c9.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function rulingDigest(uint256 d, bool accusedLost, bytes32 ruling) view returns(bytes32)
func (coordinator *Coordinator) TryPackRulingDigest(d *big.Int, accusedLost bool, ruling [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("rulingDigest", d, accusedLost, ruling)
}

// UnpackRulingDigest is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xc97606c9.
//
// Solidity: function rulingDigest(uint256 d, bool accusedLost, bytes32 ruling) view returns(bytes32)
func (coordinator *Coordinator) UnpackRulingDigest(data []byte) ([32]byte, error) {
	out, err := coordinator.abi.Unpack("rulingDigest", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackRulingThreshold is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xaca0bb42.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function rulingThreshold(uint256 d) view returns(uint32)
func (coordinator *Coordinator) PackRulingThreshold(d *big.Int) []byte {
	enc, err := coordinator.abi.Pack("rulingThreshold", d)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRulingThreshold is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xaca0bb42.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function rulingThreshold(uint256 d) view returns(uint32)
func (coordinator *Coordinator) TryPackRulingThreshold(d *big.Int) ([]byte, error) {
	return coordinator.abi.Pack("rulingThreshold", d)
}

// UnpackRulingThreshold is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xaca0bb42.
//
// Solidity: function rulingThreshold(uint256 d) view returns(uint32)
func (coordinator *Coordinator) UnpackRulingThreshold(data []byte) (uint32, error) {
	out, err := coordinator.abi.Unpack("rulingThreshold", data)
	if err != nil {
		return *new(uint32), err
	}
	out0 := *abi.ConvertType(out[0], new(uint32)).(*uint32)
	return out0, nil
}

// PackSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbdaa4553.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function signed(uint256 , address ) view returns(bool)
func (coordinator *Coordinator) PackSigned(arg0 *big.Int, arg1 common.Address) []byte {
	enc, err := coordinator.abi.Pack("signed", arg0, arg1)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbdaa4553.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function signed(uint256 , address ) view returns(bool)
func (coordinator *Coordinator) TryPackSigned(arg0 *big.Int, arg1 common.Address) ([]byte, error) {
	return coordinator.abi.Pack("signed", arg0, arg1)
}

// UnpackSigned is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xbdaa4553.
//
// Solidity: function signed(uint256 , address ) view returns(bool)
func (coordinator *Coordinator) UnpackSigned(data []byte) (bool, error) {
	out, err := coordinator.abi.Unpack("signed", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackSwarmAt is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8cb46fc1.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function swarmAt(uint256 i) view returns((bytes32,(bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8),address,uint64,uint256,uint32,uint64))
func (coordinator *Coordinator) PackSwarmAt(i *big.Int) []byte {
	enc, err := coordinator.abi.Pack("swarmAt", i)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSwarmAt is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8cb46fc1.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function swarmAt(uint256 i) view returns((bytes32,(bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8),address,uint64,uint256,uint32,uint64))
func (coordinator *Coordinator) TryPackSwarmAt(i *big.Int) ([]byte, error) {
	return coordinator.abi.Pack("swarmAt", i)
}

// UnpackSwarmAt is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x8cb46fc1.
//
// Solidity: function swarmAt(uint256 i) view returns((bytes32,(bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8),address,uint64,uint256,uint32,uint64))
func (coordinator *Coordinator) UnpackSwarmAt(data []byte) (CoordinatorSwarmInfo, error) {
	out, err := coordinator.abi.Unpack("swarmAt", data)
	if err != nil {
		return *new(CoordinatorSwarmInfo), err
	}
	out0 := *abi.ConvertType(out[0], new(CoordinatorSwarmInfo)).(*CoordinatorSwarmInfo)
	return out0, nil
}

// PackSwarmCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x25dc4e49.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function swarmCount() view returns(uint256)
func (coordinator *Coordinator) PackSwarmCount() []byte {
	enc, err := coordinator.abi.Pack("swarmCount")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSwarmCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x25dc4e49.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function swarmCount() view returns(uint256)
func (coordinator *Coordinator) TryPackSwarmCount() ([]byte, error) {
	return coordinator.abi.Pack("swarmCount")
}

// UnpackSwarmCount is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x25dc4e49.
//
// Solidity: function swarmCount() view returns(uint256)
func (coordinator *Coordinator) UnpackSwarmCount(data []byte) (*big.Int, error) {
	out, err := coordinator.abi.Unpack("swarmCount", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackSwarmId is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa8ce0745.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function swarmId((bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8) s) pure returns(bytes32)
func (coordinator *Coordinator) PackSwarmId(s CoordinatorSpec) []byte {
	enc, err := coordinator.abi.Pack("swarmId", s)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSwarmId is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa8ce0745.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function swarmId((bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8) s) pure returns(bytes32)
func (coordinator *Coordinator) TryPackSwarmId(s CoordinatorSpec) ([]byte, error) {
	return coordinator.abi.Pack("swarmId", s)
}

// UnpackSwarmId is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa8ce0745.
//
// Solidity: function swarmId((bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8) s) pure returns(bytes32)
func (coordinator *Coordinator) UnpackSwarmId(data []byte) ([32]byte, error) {
	out, err := coordinator.abi.Unpack("swarmId", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackSwarmInfo is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9d3ef6c7.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function swarmInfo(bytes32 id) view returns((bytes32,(bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8),address,uint64,uint256,uint32,uint64))
func (coordinator *Coordinator) PackSwarmInfo(id [32]byte) []byte {
	enc, err := coordinator.abi.Pack("swarmInfo", id)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSwarmInfo is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9d3ef6c7.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function swarmInfo(bytes32 id) view returns((bytes32,(bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8),address,uint64,uint256,uint32,uint64))
func (coordinator *Coordinator) TryPackSwarmInfo(id [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("swarmInfo", id)
}

// UnpackSwarmInfo is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x9d3ef6c7.
//
// Solidity: function swarmInfo(bytes32 id) view returns((bytes32,(bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8),address,uint64,uint256,uint32,uint64))
func (coordinator *Coordinator) UnpackSwarmInfo(data []byte) (CoordinatorSwarmInfo, error) {
	out, err := coordinator.abi.Unpack("swarmInfo", data)
	if err != nil {
		return *new(CoordinatorSwarmInfo), err
	}
	out0 := *abi.ConvertType(out[0], new(CoordinatorSwarmInfo)).(*CoordinatorSwarmInfo)
	return out0, nil
}

// PackTally is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xf6e22eb5.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function tally(bytes32 ) view returns(uint32)
func (coordinator *Coordinator) PackTally(arg0 [32]byte) []byte {
	enc, err := coordinator.abi.Pack("tally", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTally is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xf6e22eb5.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function tally(bytes32 ) view returns(uint32)
func (coordinator *Coordinator) TryPackTally(arg0 [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("tally", arg0)
}

// UnpackTally is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xf6e22eb5.
//
// Solidity: function tally(bytes32 ) view returns(uint32)
func (coordinator *Coordinator) UnpackTally(data []byte) (uint32, error) {
	out, err := coordinator.abi.Unpack("tally", data)
	if err != nil {
		return *new(uint32), err
	}
	out0 := *abi.ConvertType(out[0], new(uint32)).(*uint32)
	return out0, nil
}

// PackUnstake is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x71ed5d1a.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function unstake(bytes32 id) returns()
func (coordinator *Coordinator) PackUnstake(id [32]byte) []byte {
	enc, err := coordinator.abi.Pack("unstake", id)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackUnstake is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x71ed5d1a.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function unstake(bytes32 id) returns()
func (coordinator *Coordinator) TryPackUnstake(id [32]byte) ([]byte, error) {
	return coordinator.abi.Pack("unstake", id)
}

// PackVote is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc8ba6e27.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function vote(bytes32 id, uint64 rnd, address winner) returns()
func (coordinator *Coordinator) PackVote(id [32]byte, rnd uint64, winner common.Address) []byte {
	enc, err := coordinator.abi.Pack("vote", id, rnd, winner)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackVote is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc8ba6e27.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function vote(bytes32 id, uint64 rnd, address winner) returns()
func (coordinator *Coordinator) TryPackVote(id [32]byte, rnd uint64, winner common.Address) ([]byte, error) {
	return coordinator.abi.Pack("vote", id, rnd, winner)
}

// PackVotesOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x52feed02.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function votesOf(bytes32 id, uint64 r, address account) view returns(uint32)
func (coordinator *Coordinator) PackVotesOf(id [32]byte, r uint64, account common.Address) []byte {
	enc, err := coordinator.abi.Pack("votesOf", id, r, account)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackVotesOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x52feed02.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function votesOf(bytes32 id, uint64 r, address account) view returns(uint32)
func (coordinator *Coordinator) TryPackVotesOf(id [32]byte, r uint64, account common.Address) ([]byte, error) {
	return coordinator.abi.Pack("votesOf", id, r, account)
}

// UnpackVotesOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x52feed02.
//
// Solidity: function votesOf(bytes32 id, uint64 r, address account) view returns(uint32)
func (coordinator *Coordinator) UnpackVotesOf(data []byte) (uint32, error) {
	out, err := coordinator.abi.Unpack("votesOf", data)
	if err != nil {
		return *new(uint32), err
	}
	out0 := *abi.ConvertType(out[0], new(uint32)).(*uint32)
	return out0, nil
}

// PackWins is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xff0cb5e5.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function wins(bytes32 , address ) view returns(uint64)
func (coordinator *Coordinator) PackWins(arg0 [32]byte, arg1 common.Address) []byte {
	enc, err := coordinator.abi.Pack("wins", arg0, arg1)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackWins is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xff0cb5e5.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function wins(bytes32 , address ) view returns(uint64)
func (coordinator *Coordinator) TryPackWins(arg0 [32]byte, arg1 common.Address) ([]byte, error) {
	return coordinator.abi.Pack("wins", arg0, arg1)
}

// UnpackWins is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xff0cb5e5.
//
// Solidity: function wins(bytes32 , address ) view returns(uint64)
func (coordinator *Coordinator) UnpackWins(data []byte) (uint64, error) {
	out, err := coordinator.abi.Unpack("wins", data)
	if err != nil {
		return *new(uint64), err
	}
	out0 := *abi.ConvertType(out[0], new(uint64)).(*uint64)
	return out0, nil
}

// PackWithdraw is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3ccfd60b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function withdraw() returns()
func (coordinator *Coordinator) PackWithdraw() []byte {
	enc, err := coordinator.abi.Pack("withdraw")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackWithdraw is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3ccfd60b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function withdraw() returns()
func (coordinator *Coordinator) TryPackWithdraw() ([]byte, error) {
	return coordinator.abi.Pack("withdraw")
}

// CoordinatorCommitted represents a Committed event raised by the Coordinator contract.
type CoordinatorCommitted struct {
	Id     [32]byte
	Round  uint64
	Member common.Address
	Root   [32]byte
	Raw    *types.Log // Blockchain specific contextual infos
}

const CoordinatorCommittedEventName = "Committed"

// ContractEventName returns the user-defined event name.
func (CoordinatorCommitted) ContractEventName() string {
	return CoordinatorCommittedEventName
}

// UnpackCommittedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Committed(bytes32 indexed id, uint64 indexed round, address indexed member, bytes32 root)
func (coordinator *Coordinator) UnpackCommittedEvent(log *types.Log) (*CoordinatorCommitted, error) {
	event := "Committed"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != coordinator.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CoordinatorCommitted)
	if len(log.Data) > 0 {
		if err := coordinator.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range coordinator.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CoordinatorDisputeAnswered represents a DisputeAnswered event raised by the Coordinator contract.
type CoordinatorDisputeAnswered struct {
	Dispute *big.Int
	Raw     *types.Log // Blockchain specific contextual infos
}

const CoordinatorDisputeAnsweredEventName = "DisputeAnswered"

// ContractEventName returns the user-defined event name.
func (CoordinatorDisputeAnswered) ContractEventName() string {
	return CoordinatorDisputeAnsweredEventName
}

// UnpackDisputeAnsweredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event DisputeAnswered(uint256 indexed dispute)
func (coordinator *Coordinator) UnpackDisputeAnsweredEvent(log *types.Log) (*CoordinatorDisputeAnswered, error) {
	event := "DisputeAnswered"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != coordinator.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CoordinatorDisputeAnswered)
	if len(log.Data) > 0 {
		if err := coordinator.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range coordinator.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CoordinatorDisputeOpened represents a DisputeOpened event raised by the Coordinator contract.
type CoordinatorDisputeOpened struct {
	Dispute    *big.Int
	Id         [32]byte
	Round      uint64
	Accused    common.Address
	Challenger common.Address
	Evidence   [32]byte
	Raw        *types.Log // Blockchain specific contextual infos
}

const CoordinatorDisputeOpenedEventName = "DisputeOpened"

// ContractEventName returns the user-defined event name.
func (CoordinatorDisputeOpened) ContractEventName() string {
	return CoordinatorDisputeOpenedEventName
}

// UnpackDisputeOpenedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event DisputeOpened(uint256 indexed dispute, bytes32 indexed id, uint64 round, address indexed accused, address challenger, bytes32 evidence)
func (coordinator *Coordinator) UnpackDisputeOpenedEvent(log *types.Log) (*CoordinatorDisputeOpened, error) {
	event := "DisputeOpened"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != coordinator.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CoordinatorDisputeOpened)
	if len(log.Data) > 0 {
		if err := coordinator.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range coordinator.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CoordinatorDisputeSettled represents a DisputeSettled event raised by the Coordinator contract.
type CoordinatorDisputeSettled struct {
	Dispute *big.Int
	State   uint8
	Ruling  [32]byte
	Winner  common.Address
	Paid    *big.Int
	Raw     *types.Log // Blockchain specific contextual infos
}

const CoordinatorDisputeSettledEventName = "DisputeSettled"

// ContractEventName returns the user-defined event name.
func (CoordinatorDisputeSettled) ContractEventName() string {
	return CoordinatorDisputeSettledEventName
}

// UnpackDisputeSettledEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event DisputeSettled(uint256 indexed dispute, uint8 state, bytes32 ruling, address winner, uint256 paid)
func (coordinator *Coordinator) UnpackDisputeSettledEvent(log *types.Log) (*CoordinatorDisputeSettled, error) {
	event := "DisputeSettled"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != coordinator.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CoordinatorDisputeSettled)
	if len(log.Data) > 0 {
		if err := coordinator.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range coordinator.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CoordinatorJoined represents a Joined event raised by the Coordinator contract.
type CoordinatorJoined struct {
	Id     [32]byte
	Member common.Address
	Stake  *big.Int
	Raw    *types.Log // Blockchain specific contextual infos
}

const CoordinatorJoinedEventName = "Joined"

// ContractEventName returns the user-defined event name.
func (CoordinatorJoined) ContractEventName() string {
	return CoordinatorJoinedEventName
}

// UnpackJoinedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Joined(bytes32 indexed id, address indexed member, uint256 stake)
func (coordinator *Coordinator) UnpackJoinedEvent(log *types.Log) (*CoordinatorJoined, error) {
	event := "Joined"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != coordinator.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CoordinatorJoined)
	if len(log.Data) > 0 {
		if err := coordinator.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range coordinator.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CoordinatorLeft represents a Left event raised by the Coordinator contract.
type CoordinatorLeft struct {
	Id       [32]byte
	Member   common.Address
	UnbondAt uint64
	Raw      *types.Log // Blockchain specific contextual infos
}

const CoordinatorLeftEventName = "Left"

// ContractEventName returns the user-defined event name.
func (CoordinatorLeft) ContractEventName() string {
	return CoordinatorLeftEventName
}

// UnpackLeftEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Left(bytes32 indexed id, address indexed member, uint64 unbondAt)
func (coordinator *Coordinator) UnpackLeftEvent(log *types.Log) (*CoordinatorLeft, error) {
	event := "Left"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != coordinator.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CoordinatorLeft)
	if len(log.Data) > 0 {
		if err := coordinator.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range coordinator.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CoordinatorRegistered represents a Registered event raised by the Coordinator contract.
type CoordinatorRegistered struct {
	Account  common.Address
	PeerId   []byte
	Addrs    []string
	Bootnode bool
	Raw      *types.Log // Blockchain specific contextual infos
}

const CoordinatorRegisteredEventName = "Registered"

// ContractEventName returns the user-defined event name.
func (CoordinatorRegistered) ContractEventName() string {
	return CoordinatorRegisteredEventName
}

// UnpackRegisteredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Registered(address indexed account, bytes peerId, string[] addrs, bool bootnode)
func (coordinator *Coordinator) UnpackRegisteredEvent(log *types.Log) (*CoordinatorRegistered, error) {
	event := "Registered"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != coordinator.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CoordinatorRegistered)
	if len(log.Data) > 0 {
		if err := coordinator.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range coordinator.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CoordinatorRewardPaid represents a RewardPaid event raised by the Coordinator contract.
type CoordinatorRewardPaid struct {
	Id     [32]byte
	Round  uint64
	Winner common.Address
	Amount *big.Int
	Raw    *types.Log // Blockchain specific contextual infos
}

const CoordinatorRewardPaidEventName = "RewardPaid"

// ContractEventName returns the user-defined event name.
func (CoordinatorRewardPaid) ContractEventName() string {
	return CoordinatorRewardPaidEventName
}

// UnpackRewardPaidEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event RewardPaid(bytes32 indexed id, uint64 indexed round, address indexed winner, uint256 amount)
func (coordinator *Coordinator) UnpackRewardPaidEvent(log *types.Log) (*CoordinatorRewardPaid, error) {
	event := "RewardPaid"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != coordinator.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CoordinatorRewardPaid)
	if len(log.Data) > 0 {
		if err := coordinator.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range coordinator.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CoordinatorSwarmCreated represents a SwarmCreated event raised by the Coordinator contract.
type CoordinatorSwarmCreated struct {
	Id      [32]byte
	Creator common.Address
	Spec    CoordinatorSpec
	Raw     *types.Log // Blockchain specific contextual infos
}

const CoordinatorSwarmCreatedEventName = "SwarmCreated"

// ContractEventName returns the user-defined event name.
func (CoordinatorSwarmCreated) ContractEventName() string {
	return CoordinatorSwarmCreatedEventName
}

// UnpackSwarmCreatedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event SwarmCreated(bytes32 indexed id, address indexed creator, (bytes32,bytes32,bytes32,uint256,uint256,uint64,uint64,uint64,uint8) spec)
func (coordinator *Coordinator) UnpackSwarmCreatedEvent(log *types.Log) (*CoordinatorSwarmCreated, error) {
	event := "SwarmCreated"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != coordinator.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CoordinatorSwarmCreated)
	if len(log.Data) > 0 {
		if err := coordinator.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range coordinator.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CoordinatorVoted represents a Voted event raised by the Coordinator contract.
type CoordinatorVoted struct {
	Id     [32]byte
	Round  uint64
	Voter  common.Address
	Winner common.Address
	Raw    *types.Log // Blockchain specific contextual infos
}

const CoordinatorVotedEventName = "Voted"

// ContractEventName returns the user-defined event name.
func (CoordinatorVoted) ContractEventName() string {
	return CoordinatorVotedEventName
}

// UnpackVotedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Voted(bytes32 indexed id, uint64 indexed round, address indexed voter, address winner)
func (coordinator *Coordinator) UnpackVotedEvent(log *types.Log) (*CoordinatorVoted, error) {
	event := "Voted"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != coordinator.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CoordinatorVoted)
	if len(log.Data) > 0 {
		if err := coordinator.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range coordinator.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}
