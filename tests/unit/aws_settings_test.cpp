// Credentials, region and endpoint found the way the AWS SDKs find them: the environment first,
// then the profile in the shared credentials and config files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "base/ids.hpp"
#include "drivers/aws/settings.hpp"

namespace orderflow {
namespace {

namespace fs = std::filesystem;

class AwsSettings : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(home_ / ".aws"); }
  void TearDown() override { fs::remove_all(home_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(home_ / ".aws" / name) << text;
  }
  aws::Lookup env() const {
    return [vars = vars_](const std::string& name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }

  const fs::path home_ = fs::temp_directory_path() / ("orderflow-aws-" + uuid_v7());
  std::map<std::string, std::string> vars_{{"HOME", home_.string()}};
};

TEST_F(AwsSettings, TheEnvironmentComesFirst) {
  write("credentials", "[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = s\n");
  vars_.insert({{"AWS_ACCESS_KEY_ID", "AKID"},
                {"AWS_SECRET_ACCESS_KEY", "secret"},
                {"AWS_SESSION_TOKEN", "token"}});
  const auto c = aws::find_credentials(env());
  EXPECT_EQ(c.access_key_id, "AKID");
  EXPECT_EQ(c.secret_access_key, "secret");
  EXPECT_EQ(c.session_token, "token");
  vars_.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_THROW(aws::find_credentials(env()), std::invalid_argument);
}

TEST_F(AwsSettings, AProfileOfTheSharedFiles) {
  write("credentials",
        "# a comment\n[default]\naws_access_key_id=DEFAULT\naws_secret_access_key=d\n\n"
        "[shop]\n  aws_access_key_id = SHOP \n aws_secret_access_key = s3cr=t\n"
        "aws_session_token = tok\n");
  write("config",
        "[default]\nregion = eu-west-1\n[profile from-config]\nregion = us-west-2\n"
        "aws_access_key_id = CONFIG\naws_secret_access_key = c\n");
  EXPECT_EQ(aws::find_credentials(env()).access_key_id, "DEFAULT");
  EXPECT_EQ(aws::find_region(env(), ""), "eu-west-1");
  vars_["AWS_PROFILE"] = "shop";
  const auto shop = aws::find_credentials(env());
  EXPECT_EQ(shop.access_key_id, "SHOP");
  EXPECT_EQ(shop.secret_access_key, "s3cr=t");
  EXPECT_EQ(shop.session_token, "tok");
  // The config file's profiles are "[profile name]", and may hold keys too.
  vars_["AWS_PROFILE"] = "from-config";
  EXPECT_EQ(aws::find_credentials(env()).access_key_id, "CONFIG");
  EXPECT_EQ(aws::find_region(env(), ""), "us-west-2");
  vars_["AWS_PROFILE"] = "missing";
  try {
    aws::find_credentials(env());
    ADD_FAILURE() << "credentials from nowhere";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'missing'"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("s3cr"), std::string::npos) << "a secret in an error";
  }
}

TEST_F(AwsSettings, FilesNamedByVariables) {
  const auto other = home_ / "elsewhere";
  std::ofstream(other) << "[default]\naws_access_key_id=ELSEWHERE\naws_secret_access_key=e\n";
  vars_["AWS_SHARED_CREDENTIALS_FILE"] = other.string();
  EXPECT_EQ(aws::find_credentials(env()).access_key_id, "ELSEWHERE");
}

TEST_F(AwsSettings, RegionAndEndpoint) {
  const std::string queue = "https://sqs.ap-south-1.amazonaws.com/123456789012/orders.fifo";
  EXPECT_EQ(aws::find_region(env(), queue), "ap-south-1");
  EXPECT_EQ(aws::find_region(env(), "http://127.0.0.1:4566/000000000000/orders.fifo"), "");
  vars_["AWS_DEFAULT_REGION"] = "eu-central-1";
  EXPECT_EQ(aws::find_region(env(), queue), "eu-central-1");
  vars_["AWS_REGION"] = "us-east-2";
  EXPECT_EQ(aws::find_region(env(), queue), "us-east-2");

  EXPECT_EQ(aws::sqs_endpoint(env(), "us-east-2"), "https://sqs.us-east-2.amazonaws.com");
  vars_["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
  EXPECT_EQ(aws::sqs_endpoint(env(), "us-east-2"), "http://127.0.0.1:4566");
  vars_["AWS_ENDPOINT_URL_SQS"] = "http://127.0.0.1:9324";
  EXPECT_EQ(aws::sqs_endpoint(env(), "us-east-2"), "http://127.0.0.1:9324");
}

TEST(AwsIni, SectionsKeysAndComments) {
  const auto ini = aws::parse_ini("key=outside\n[a]\nx = 1\r\n; c\n# c\nbad line\n[ b ]\ny=\n[c");
  EXPECT_EQ(ini.at("a").at("x"), "1");
  EXPECT_EQ(ini.at("a").size(), 1u);
  EXPECT_EQ(ini.at("b").at("y"), "");
  EXPECT_TRUE(ini.contains("c"));
  EXPECT_FALSE(ini.contains(""));
}

}  // namespace
}  // namespace orderflow
