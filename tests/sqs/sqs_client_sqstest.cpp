// The SQS client against the SQS emulator scripts/services starts (SQS_ENDPOINT_URL): SQS's own
// JSON protocol, signed; errors by their codes; retries; kept-alive connections.
#include <gtest/gtest.h>

#include "../conformance/harness.hpp"
#include "base/ids.hpp"
#include "drivers/aws/sqs_client.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

class SqsClientTest : public ::testing::Test {
 protected:
  aws::SqsOptions options(std::size_t connections = 4) {
    aws::SqsOptions o;
    o.endpoint = service_url("SQS_ENDPOINT_URL");
    o.region = "us-east-1";
    // The emulator checks signatures against this secret (scripts/services).
    o.credentials = {"AKIDEXAMPLE", service_url("SQS_TEST_SECRET_ACCESS_KEY"), ""};
    o.max_connections = connections;
    return o;
  }
  json::object call(aws::SqsClient& client, std::string action, json::object request) {
    return run(io_, client.call(std::move(action), std::move(request)));
  }
  std::string fifo_queue(aws::SqsClient& client) {
    const auto name = "test-" + uuid_v7() + ".fifo";
    return std::string(
        call(client, "CreateQueue", {{"QueueName", name}, {"Attributes", {{"FifoQueue", "true"}}}})
            .at("QueueUrl")
            .as_string());
  }

  asio::io_context io_;
};

TEST_F(SqsClientTest, SendsReceivesAndDeletesOnAFifoQueue) {
  aws::SqsClient client(io_.get_executor(), options());
  const auto queue = fifo_queue(client);
  json::array entries;
  for (int i = 0; i < 3; ++i)
    entries.push_back({{"Id", "m" + std::to_string(i)},
                       {"MessageBody", "body é " + std::to_string(i)},
                       {"MessageGroupId", "group"},
                       {"MessageDeduplicationId", "dedup-" + std::to_string(i)}});
  const auto sent = call(client, "SendMessageBatch", {{"QueueUrl", queue}, {"Entries", entries}});
  EXPECT_EQ(sent.at("Successful").as_array().size(), 3u);
  // One group: its messages come in order (several in a receive or one at a time: a group
  // delivers nothing more while one is in flight).
  std::vector<std::string> bodies;
  for (int round = 0; round < 5 && bodies.size() < 3; ++round) {
    const auto received = call(client, "ReceiveMessage",
                               {{"QueueUrl", queue},
                                {"MaxNumberOfMessages", 10},
                                {"WaitTimeSeconds", 1},
                                {"AttributeNames", {"All"}}});
    if (!received.contains("Messages")) continue;
    json::array receipts;
    for (const auto& m : received.at("Messages").as_array()) {
      bodies.emplace_back(m.at("Body").as_string());
      receipts.push_back({{"Id", "r" + std::to_string(receipts.size())},
                          {"ReceiptHandle", m.at("ReceiptHandle")}});
    }
    const auto deleted =
        call(client, "DeleteMessageBatch", {{"QueueUrl", queue}, {"Entries", receipts}});
    EXPECT_EQ(deleted.at("Successful").as_array().size(), receipts.size());
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"body é 0", "body é 1", "body é 2"}));
  const auto attributes =
      call(client, "GetQueueAttributes",
           {{"QueueUrl", queue}, {"AttributeNames", {"ApproximateNumberOfMessages"}}});
  EXPECT_EQ(attributes.at("Attributes").at("ApproximateNumberOfMessages").as_string(), "0");
}

TEST_F(SqsClientTest, ARefusedRequestIsAnSqsErrorWithItsCode) {
  aws::SqsClient client(io_.get_executor(), options());
  const auto queue = fifo_queue(client);
  try {
    call(client, "GetQueueAttributes", {{"QueueUrl", queue + "-missing"}});
    ADD_FAILURE() << "a missing queue answered";
  } catch (const aws::SqsError& e) {
    EXPECT_EQ(e.code(), "QueueDoesNotExist");
    EXPECT_EQ(e.status(), 400u);
  }
  EXPECT_EQ(client.stats().retries, 0u);  // a client error is not retried
}

TEST_F(SqsClientTest, SignaturesAreCheckedByTheAwsSdksSigner) {
  // The emulator verifies each request with @smithy/signature-v4: the right secret passes (every
  // other test here), a wrong one is refused as AWS refuses it, and so is a session token that
  // was not the one signed.
  auto o = options();
  o.credentials.secret_access_key = "not-the-secret";
  aws::SqsClient wrong(io_.get_executor(), o);
  try {
    call(wrong, "ListQueues", {});
    ADD_FAILURE() << "a wrong signature was accepted";
  } catch (const aws::SqsError& e) {
    EXPECT_EQ(e.code(), "SignatureDoesNotMatch");
    EXPECT_EQ(e.status(), 403u);
  }
  auto temporary = options();
  temporary.credentials.session_token = "a-session-token";
  aws::SqsClient with_token(io_.get_executor(), temporary);
  EXPECT_NO_THROW(call(with_token, "ListQueues", {}));
}

TEST_F(SqsClientTest, AnUnreachableEndpointIsUnavailableAfterTheRetries) {
  auto o = options();
  o.endpoint = "http://127.0.0.1:1";
  aws::SqsClient client(io_.get_executor(), o);
  EXPECT_THROW(call(client, "ListQueues", {}), aws::SqsUnavailable);
  EXPECT_EQ(client.stats().retries, 2u);  // three attempts in all
}

TEST_F(SqsClientTest, ManyCallsShareAFewKeptAliveConnections) {
  aws::SqsClient client(io_.get_executor(), options(4));
  const auto queue = fifo_queue(client);
  const auto get_url = [&](int) -> asio::awaitable<bool> {
    std::string action = "GetQueueAttributes";
    json::object request;
    request["QueueUrl"] = queue;
    request["AttributeNames"] = json::array{"QueueArn"};
    const auto r = co_await client.call(std::move(action), std::move(request));
    co_return r.at("Attributes").as_object().contains("QueueArn");
  };
  EXPECT_EQ(count_concurrent(io_, 200, get_url), 200);
  EXPECT_LE(client.stats().connects, 4u);
}

TEST_F(SqsClientTest, EndpointsItWillNotUse) {
  for (const char* endpoint : {"http://sqs.us-east-1.amazonaws.com", "ftp://127.0.0.1",
                               "https://sqs.us-east-1.amazonaws.com/path", "not a url"}) {
    auto o = options();
    o.endpoint = endpoint;
    EXPECT_THROW(aws::SqsClient(io_.get_executor(), o), std::invalid_argument) << endpoint;
  }
}

}  // namespace
}  // namespace orderflow::testing
