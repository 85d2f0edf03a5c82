#include "server/http-types.h"

namespace os1::server {

std::string_view Request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key == name)
            return value;
    }
    return {};
}

std::string_view Request::param(std::string_view name) const {
    auto it = query.find(std::string(name));
    return it == query.end() ? std::string_view() : std::string_view(it->second);
}

Response json_response(int status, std::string body) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

Response no_content() {
    Response response;
    response.status = 204;
    response.content_type.clear();
    return response;
}

}  // namespace os1::server
