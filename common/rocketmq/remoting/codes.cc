#include "common/rocketmq/remoting/codes.h"

namespace rmq::rocketmq {

const char* RequestCodeName(int32_t code) {
  namespace rc = request_code;
  switch (code) {
    case rc::kSendMessage:
      return "SEND_MESSAGE";
    case rc::kUpdateConsumerOffset:
      return "UPDATE_CONSUMER_OFFSET";
    case rc::kUpdateAndCreateTopic:
      return "UPDATE_AND_CREATE_TOPIC";
    case rc::kUpdateAndCreateTopicList:
      return "UPDATE_AND_CREATE_TOPIC_LIST";
    case rc::kGetAllTopicConfig:
      return "GET_ALL_TOPIC_CONFIG";
    case rc::kUpdateBrokerConfig:
      return "UPDATE_BROKER_CONFIG";
    case rc::kGetBrokerConfig:
      return "GET_BROKER_CONFIG";
    case rc::kGetBrokerRuntimeInfo:
      return "GET_BROKER_RUNTIME_INFO";
    case rc::kGetMaxOffset:
      return "GET_MAX_OFFSET";
    case rc::kGetMinOffset:
      return "GET_MIN_OFFSET";
    case rc::kHeartBeat:
      return "HEART_BEAT";
    case rc::kGetAllConsumerOffset:
      return "GET_ALL_CONSUMER_OFFSET";
    case rc::kRegisterBroker:
      return "REGISTER_BROKER";
    case rc::kUnregisterBroker:
      return "UNREGISTER_BROKER";
    case rc::kGetRouteInfoByTopic:
      return "GET_ROUTEINFO_BY_TOPIC";
    case rc::kGetBrokerClusterInfo:
      return "GET_BROKER_CLUSTER_INFO";
    case rc::kUpdateAndCreateSubscriptionGroup:
      return "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP";
    case rc::kGetAllSubscriptionGroupConfig:
      return "GET_ALL_SUBSCRIPTIONGROUP_CONFIG";
    case rc::kGetTopicStatsInfo:
      return "GET_TOPIC_STATS_INFO";
    case rc::kGetConsumerConnectionList:
      return "GET_CONSUMER_CONNECTION_LIST";
    case rc::kGetAllTopicListFromNameServer:
      return "GET_ALL_TOPIC_LIST_FROM_NAMESERVER";
    case rc::kDeleteSubscriptionGroup:
      return "DELETE_SUBSCRIPTIONGROUP";
    case rc::kGetConsumeStats:
      return "GET_CONSUME_STATS";
    case rc::kDeleteTopicInBroker:
      return "DELETE_TOPIC_IN_BROKER";
    case rc::kDeleteTopicInNameServer:
      return "DELETE_TOPIC_IN_NAMESRV";
    case rc::kUpdateAndCreateSubscriptionGroupList:
      return "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST";
    case rc::kGetTopicConfig:
      return "GET_TOPIC_CONFIG";
    case rc::kGetSubscriptionGroupConfig:
      return "GET_SUBSCRIPTIONGROUP_CONFIG";
    case rc::kGetBrokerHaStatus:
      return "GET_BROKER_HA_STATUS";
    default:
      return "REQUEST";
  }
}

const char* ResponseCodeName(int32_t code) {
  namespace rc = response_code;
  switch (code) {
    case rc::kSuccess:
      return "SUCCESS";
    case rc::kSystemError:
      return "SYSTEM_ERROR";
    case rc::kSystemBusy:
      return "SYSTEM_BUSY";
    case rc::kRequestCodeNotSupported:
      return "REQUEST_CODE_NOT_SUPPORTED";
    case rc::kServiceNotAvailable:
      return "SERVICE_NOT_AVAILABLE";
    case rc::kNoPermission:
      return "NO_PERMISSION";
    case rc::kTopicNotExist:
      return "TOPIC_NOT_EXIST";
    case rc::kTopicExistAlready:
      return "TOPIC_EXIST_ALREADY";
    case rc::kSubscriptionGroupNotExist:
      return "SUBSCRIPTION_GROUP_NOT_EXIST";
    case rc::kInvalidParameter:
      return "INVALID_PARAMETER";
    case rc::kConsumerNotOnline:
      return "CONSUMER_NOT_ONLINE";
    case rc::kGoAway:
      return "GO_AWAY";
    default:
      return "RESPONSE";
  }
}

}  // namespace rmq::rocketmq
