// AWS Signature Version 4 against AWS's published test suite (the "aws-sig-v4-test-suite" of the
// AWS General Reference, as kept in awslabs/aws-c-auth): credentials AKIDEXAMPLE, region
// us-east-1, service "service", 2015-08-30T12:36:00Z; each case's request and its expected
// canonical request and signature.
#include <gtest/gtest.h>

#include "base/percent.hpp"
#include "drivers/aws/sigv4.hpp"

namespace orderflow {
namespace {

const aws::Credentials kExample{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr const char* kDate = "20150830T123600Z";
constexpr const char* kEmptyHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

aws::Signature sign(const aws::RequestToSign& r, const aws::Credentials& c = kExample) {
  return aws::sign_v4(r, c, "us-east-1", "service", kDate);
}

TEST(SigV4, GetVanilla) {
  const auto s = sign({"GET", "/", "", {{"Host", "example.amazonaws.com"}}, ""});
  EXPECT_EQ(s.canonical_request,
            std::string("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                        "host;x-amz-date\n") +
                kEmptyHash);
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(s.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  ASSERT_EQ(s.headers.size(), 2u);
  EXPECT_EQ(s.headers[0], (std::pair<std::string, std::string>{"X-Amz-Date", kDate}));
  EXPECT_EQ(s.headers[1].second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, QueryParametersAreSortedByKey) {
  const auto s =
      sign({"GET", "/", "Param2=value2&Param1=value1", {{"Host", "example.amazonaws.com"}}, ""});
  EXPECT_NE(s.canonical_request.find("\nParam1=value1&Param2=value2\n"), std::string::npos);
  EXPECT_EQ(s.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  EXPECT_EQ(sign({"POST", "/", "Param1=value1", {{"Host", "example.amazonaws.com"}}, ""}).signature,
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
}

TEST(SigV4, PathsArePercentEncoded) {
  const auto utf8 = sign({"GET", "/\xE1\x88\xB4", "", {{"Host", "example.amazonaws.com"}}, ""});
  EXPECT_EQ(utf8.canonical_request.substr(0, 15), "GET\n/%E1%88%B4\n");
  EXPECT_EQ(utf8.signature, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
  EXPECT_EQ(sign({"GET", "/example space/", "", {{"Host", "example.amazonaws.com"}}, ""}).signature,
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
}

TEST(SigV4, HeadersAreLowerCasedSortedTrimmedAndJoined) {
  const auto trim = sign({"GET",
                          "/",
                          "",
                          {{"Host", "example.amazonaws.com"},
                           {"My-Header1", " value1"},
                           {"My-Header2", " \"a   b   c\""}},
                          ""});
  EXPECT_NE(trim.canonical_request.find("my-header1:value1\nmy-header2:\"a b c\"\n"),
            std::string::npos);
  EXPECT_EQ(trim.signature, "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
  const auto repeated = sign({"GET",
                              "/",
                              "",
                              {{"Host", "example.amazonaws.com"},
                               {"My-Header1", "value2"},
                               {"My-Header1", "value2"},
                               {"My-Header1", "value1"}},
                              ""});
  EXPECT_NE(repeated.canonical_request.find("my-header1:value2,value2,value1\n"),
            std::string::npos);
  EXPECT_EQ(repeated.signature, "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
  EXPECT_EQ(
      sign({"POST", "/", "", {{"My-Header1", "value1"}, {"Host", "example.amazonaws.com"}}, ""})
          .signature,
      "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c");
}

TEST(SigV4, ASessionTokenIsSignedAndSent) {
  aws::Credentials temporary = kExample;
  temporary.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
  const auto s = sign({"GET", "/", "", {{"Host", "example.amazonaws.com"}}, ""}, temporary);
  EXPECT_EQ(s.signature, "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
  EXPECT_EQ(s.headers.at(1).first, "X-Amz-Security-Token");
  EXPECT_EQ(s.headers.at(1).second, temporary.session_token);
}

TEST(SigV4, TheBodyIsSignedByItsHash) {
  const std::string body = "Param1=value1";
  const auto s = sign({"POST",
                       "/",
                       "",
                       {{"Content-Type", "application/x-www-form-urlencoded"},
                        {"Host", "example.amazonaws.com"},
                        {"Content-Length", "13"},
                        {"X-Amz-Content-Sha256",
                         "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"}},
                       body});
  EXPECT_EQ(s.canonical_request.substr(s.canonical_request.rfind('\n') + 1),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_EQ(s.signature, "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b");
}

TEST(SigV4, PercentEncodingKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(percent_encode("aZ09-_.~ /+=&\xE1"), "aZ09-_.~%20%2F%2B%3D%26%E1");
  EXPECT_EQ(percent_encode("/a b/", "/"), "/a%20b/");
  EXPECT_EQ(aws::amz_date_now().size(), 16u);
}

}  // namespace
}  // namespace orderflow
