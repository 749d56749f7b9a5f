// codes.h: RocketMQ remoting request and response codes used by this project.
//
// The numbers are the same in RocketMQ 4.9.8 and 5.3.3 (RequestCode.java, ResponseCode.java,
// RemotingSysResponseCode.java). See ../shared/docs/rocketmq-protocol.md §2.
#pragma once

#include <cstdint>

namespace rmq::rocketmq {

namespace request_code {
inline constexpr int32_t kSendMessage = 10;
inline constexpr int32_t kUpdateConsumerOffset = 15;
inline constexpr int32_t kUpdateAndCreateTopic = 17;
inline constexpr int32_t kUpdateAndCreateTopicList = 18;  // 5.3.0+
inline constexpr int32_t kGetAllTopicConfig = 21;
inline constexpr int32_t kUpdateBrokerConfig = 25;
inline constexpr int32_t kGetBrokerConfig = 26;
inline constexpr int32_t kGetBrokerRuntimeInfo = 28;
inline constexpr int32_t kGetMaxOffset = 30;
inline constexpr int32_t kGetMinOffset = 31;
inline constexpr int32_t kHeartBeat = 34;
inline constexpr int32_t kGetAllConsumerOffset = 43;
inline constexpr int32_t kRegisterBroker = 103;
inline constexpr int32_t kUnregisterBroker = 104;
inline constexpr int32_t kGetRouteInfoByTopic = 105;
inline constexpr int32_t kGetBrokerClusterInfo = 106;
inline constexpr int32_t kUpdateAndCreateSubscriptionGroup = 200;
inline constexpr int32_t kGetAllSubscriptionGroupConfig = 201;
inline constexpr int32_t kGetTopicStatsInfo = 202;
inline constexpr int32_t kGetConsumerConnectionList = 203;
inline constexpr int32_t kGetAllTopicListFromNameServer = 206;
inline constexpr int32_t kDeleteSubscriptionGroup = 207;
inline constexpr int32_t kGetConsumeStats = 208;
inline constexpr int32_t kDeleteTopicInBroker = 215;
inline constexpr int32_t kDeleteTopicInNameServer = 216;
inline constexpr int32_t kUpdateAndCreateSubscriptionGroupList = 225;  // 5.3.1+
inline constexpr int32_t kGetTopicConfig = 351;                        // 5.x
inline constexpr int32_t kGetSubscriptionGroupConfig = 352;            // 5.x
inline constexpr int32_t kGetBrokerHaStatus = 907;                     // 5.x
}  // namespace request_code

namespace response_code {
inline constexpr int32_t kSuccess = 0;
inline constexpr int32_t kSystemError = 1;
inline constexpr int32_t kSystemBusy = 2;
inline constexpr int32_t kRequestCodeNotSupported = 3;
inline constexpr int32_t kServiceNotAvailable = 14;
inline constexpr int32_t kNoPermission = 16;
inline constexpr int32_t kTopicNotExist = 17;
inline constexpr int32_t kTopicExistAlready = 18;
inline constexpr int32_t kSubscriptionGroupNotExist = 26;
inline constexpr int32_t kInvalidParameter = 29;
inline constexpr int32_t kConsumerNotOnline = 206;
inline constexpr int32_t kGoAway = 1500;
}  // namespace response_code

// Human-readable name of a request code ("UPDATE_AND_CREATE_TOPIC"), or "REQUEST_<n>".
const char* RequestCodeName(int32_t code);
// Human-readable name of a response code ("TOPIC_NOT_EXIST"), or "CODE_<n>" style fallback.
const char* ResponseCodeName(int32_t code);

// Server version ordinals (MQVersion.Version) worth naming.
inline constexpr int32_t kVersionV4_9_8 = 409;
inline constexpr int32_t kVersionV5_3_3 = 479;

}  // namespace rmq::rocketmq
