#pragma once

// A scripted HttpClient for token-source unit tests: records each request and answers from a queue.
// (Exchanges over real loopback HTTP are tested where CurlHttpClient is available.)

#include <deque>
#include <mutex>
#include <vector>

#include "core/http/HttpClient.h"

namespace spotwise::test {

class FakeHttpClient : public http::HttpClient {
 public:
  void push(int status, std::string body, http::Headers headers = {}) {
    http::Response response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    m_answers.emplace_back(std::move(response));
  }
  void pushError(Error error) { m_answers.emplace_back(std::move(error)); }

  Result<http::Response> send(const http::Request& request) override {
    std::lock_guard lock(m_mutex);
    requests.push_back(request);
    if (m_answers.empty()) return makeError(ErrorCode::Unavailable, "FakeHttpClient: no answer scripted");
    Result<http::Response> answer = std::move(m_answers.front());
    m_answers.pop_front();
    return answer;
  }

  std::vector<http::Request> requests;

 private:
  std::mutex m_mutex;
  std::deque<Result<http::Response>> m_answers;
};

}  // namespace spotwise::test
